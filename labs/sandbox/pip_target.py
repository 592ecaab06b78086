"""`pip download` for another Python: the stand-ins' wheels, resolved on this host.

`pip download --python-version X` chooses wheel tags and checks `Requires-Python` for X, but
evaluates the requirements' environment markers with the interpreter running pip. On a
Debian 12 host that is the stand-ins' own version (3.11.2); on Debian 13 it is 3.13, and a
dependency declared as `async-timeout; python_full_version < '3.11.3'` (redis) would be left
out of a wheelhouse meant for 3.11.2. pip has no option for the marker environment, so the
command below runs pip with its marker environment set to the target version.
"""

import sys

# Run by `python -c`: argv[1] is the target's full version, the rest pip's own arguments.
_PIP_FOR_VERSION = """
import sys
from pip._vendor.packaging import markers

full = sys.argv[1]
host_environment = markers.default_environment


def target_environment():
    environment = host_environment()
    environment.update(python_full_version=full, python_version=".".join(full.split(".")[:2]),
                       implementation_version=full, implementation_name="cpython",
                       platform_python_implementation="CPython")
    return environment


markers.default_environment = target_environment
from pip._internal.cli.main import main

sys.exit(main(sys.argv[2:]))
"""


def pip_download_command(python_full_version: str, *, dest: str, platforms: list[str]) -> list[str]:
    """The command that downloads binary wheels into `dest` for CPython `python_full_version`
    (e.g. "3.11.2") on `platforms`; the requirements follow it."""
    command = [
        sys.executable,
        "-c",
        _PIP_FOR_VERSION,
        python_full_version,
        "download",
        "-q",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--python-version",
        python_full_version,
        "--implementation",
        "cp",
        "-d",
        dest,
    ]
    for platform in platforms:
        command += ["--platform", platform]
    return command
