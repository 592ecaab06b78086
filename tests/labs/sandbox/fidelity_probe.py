"""Run inside a base image (as `python3 /probe.py`, PYTHONDONTWRITEBYTECODE=1, no network):
prints one JSON object of facts about its Python, for test_base_images_fidelity.py.

Read-only facts first, then what pip and venv do (they change the container). pip installs
`gunicorn` with --no-deps from the image's wheelhouse: a small wheel with a console script.
Only the standard library is used, so the probe runs on any image with a python3.
"""

import configparser
import glob
import importlib
import importlib.metadata
import json
import locale
import os
import platform
import shutil
import site
import ssl
import subprocess
import sys
import sysconfig

facts: dict = {}
LOCAL_BIN = "/usr/local/bin"
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def run(command: str) -> dict:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=240)
    return {"code": done.returncode, "out": done.stdout.strip(), "err": done.stderr.strip()[-800:]}


def first_line(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.readline().decode(errors="replace").strip()
    except OSError:
        return None


def exists(*paths: str) -> dict:
    return {path: os.path.lexists(path) for path in paths}


def importable(name: str) -> bool:
    try:
        importlib.import_module(name)
        return True
    except Exception:  # noqa: BLE001 - whatever stops the import, the module is not usable
        return False


def os_release() -> dict:
    values = {}
    with open("/etc/os-release") as handle:
        for line in handle:
            key, _, value = line.strip().partition("=")
            values[key] = value.strip('"')
    return values


# ------------------------------------------------------------------ the image as shipped
for name in [
    "python",
    "python3",
    f"python{VERSION}",
    "pip",
    "pip3",
    f"pip{VERSION}",
    "python3-config",
    "python-config",
    "pydoc",
    "pydoc3",
    "idle",
    "idle3",
]:
    facts[f"which.{name}"] = shutil.which(name)
for name in ["python", "python3", "pip", "python-config"]:
    path = os.path.join(LOCAL_BIN, name)
    facts[f"link.{name}"] = os.readlink(path) if os.path.islink(path) else None
for name in ["gcc", "g++", "make", "git", "curl", "wget", "hg", "svn", "ssh", "ps"]:
    facts[f"tool.{name}"] = shutil.which(name) is not None

facts["env"] = {k: os.environ.get(k) for k in ["PATH", "LANG", "PYTHON_VERSION", "HOME"]}
facts["python.version"] = platform.python_version()
facts["python.implementation"] = platform.python_implementation()
facts["sys.executable"] = sys.executable
facts["sys.prefix"] = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
facts["sys.path"] = sys.path[1:]  # [0] is the directory of the script being run
facts["site.getsitepackages"] = site.getsitepackages()
facts["site.user"] = [site.getuserbase(), site.getusersitepackages(), bool(site.ENABLE_USER_SITE)]
facts["sysconfig.scheme"] = sysconfig.get_default_scheme()
facts["sysconfig.paths"] = sysconfig.get_paths()
facts["sysconfig.vars"] = {
    k: sysconfig.get_config_var(k) for k in ["LDLIBRARY", "Py_ENABLE_SHARED", "EXT_SUFFIX", "LIBDIR", "BINDIR"]
}
facts["sysconfig.config_args"] = sysconfig.get_config_var("CONFIG_ARGS") or ""
stdlib = sysconfig.get_paths()["stdlib"]
facts["stdlib.externally_managed"] = os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED"))
facts["stdlib.pyc"] = len(glob.glob(f"{stdlib}/**/*.pyc", recursive=True))
facts["stdlib.test_package"] = os.path.isdir(os.path.join(stdlib, "test"))
facts["libpython.static"] = glob.glob("/usr/local/lib/libpython*.a")
facts["ldconfig.libpython"] = [
    line.strip() for line in run("ldconfig -p").get("out", "").splitlines() if "libpython" in line
]
facts["headers"] = exists(f"/usr/local/include/python{VERSION}/Python.h")
facts["debian.python3"] = os.path.exists("/usr/bin/python3")
facts["os"] = {k: os_release().get(k) for k in ["ID", "VERSION_CODENAME"]}

modules = [
    "ssl",
    "sqlite3",
    "ctypes",
    "lzma",
    "bz2",
    "zlib",
    "readline",
    "dbm.gnu",
    "dbm.ndbm",
    "uuid",
    "_uuid",
    "hashlib",
    "_hashlib",
    "_decimal",
    "curses",
    "_curses_panel",
    "pyexpat",
    "ensurepip",
    "venv",
    "zoneinfo",
]
facts["modules.missing"] = [m for m in modules if not importable(m)]
facts["modules.tkinter"] = importable("tkinter")
import sqlite3  # noqa: E402

facts["sqlite3.load_extension"] = hasattr(sqlite3.Connection, "enable_load_extension")
facts["ssl.openssl"] = ssl.OPENSSL_VERSION
facts["ssl.ca_certificates"] = ssl.create_default_context().cert_store_stats()["x509_ca"]
facts["encoding"] = [sys.getfilesystemencoding(), locale.getpreferredencoding(False), sys.stdout.encoding]

config = {
    flag: run(f"python3-config {flag}")
    for flag in ["--prefix", "--exec-prefix", "--includes", "--ldflags --embed", "--extension-suffix"]
}
facts["python3-config"] = {flag: answer["out"] if answer["code"] == 0 else None for flag, answer in config.items()}

pip_version = run("pip --version")
facts["pip.version"] = pip_version["out"]
facts["pip.version_number"] = pip_version["out"].split(" ")[1] if pip_version["out"].startswith("pip ") else None
facts["pip.python_m"] = run("python -m pip --version")["out"]
facts["pip.packages"] = {}
for name in ["pip", "setuptools", "wheel"]:
    try:
        facts["pip.packages"][name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        facts["pip.packages"][name] = None
scheme = run(
    'python3 -c "import json; from pip._internal.locations import get_scheme; '
    "s = get_scheme('demo'); print(json.dumps({k: getattr(s, k) for k in ('purelib', 'platlib', 'scripts', 'headers', 'data')}))\""
)
facts["pip.scheme"] = json.loads(scheme["out"]) if scheme["code"] == 0 else scheme

# ------------------------------------------------------------------ what pip and venv do
SP = f"lib/python{VERSION}/site-packages"
PIP = "pip install --no-cache-dir --no-deps --ignore-installed -q"


def install(flags: str, *paths: str) -> dict:
    answer = run(f"{PIP} {flags} gunicorn")
    return {"code": answer["code"], "err": answer["err"] if answer["code"] else "", "paths": exists(*paths)}


# Each layout as a fresh build stage would see it: --ignore-installed, so an earlier
# install in this container does not make pip skip the work ("already satisfied").
facts["install.prefix"] = install("--prefix=/install", f"/install/{SP}/gunicorn/__init__.py", "/install/bin/gunicorn")
facts["install.prefix.top"] = sorted(os.listdir("/install")) if os.path.isdir("/install") else None
facts["install.user"] = install("--user", f"/root/.local/{SP}/gunicorn/__init__.py", "/root/.local/bin/gunicorn")
facts["install.target"] = install("--target=/target", "/target/gunicorn/__init__.py", "/target/bin/gunicorn")
facts["install.root"] = install("--root=/r", f"/r/usr/local/{SP}/gunicorn/__init__.py", f"/r{LOCAL_BIN}/gunicorn")
facts["install.default"] = install("", f"/usr/local/{SP}/gunicorn/__init__.py", f"{LOCAL_BIN}/gunicorn")
facts["install.default.shebang"] = first_line(f"{LOCAL_BIN}/gunicorn")
facts["install.upgrade_pip"] = run("pip install --no-cache-dir -q --upgrade pip")["code"]

venv = run("python3 -m venv /v")
cfg = configparser.ConfigParser()
cfg.read_string("[venv]\n" + (open("/v/pyvenv.cfg").read() if os.path.exists("/v/pyvenv.cfg") else ""))
facts["venv.created"] = venv["code"]
facts["venv.python"] = os.path.realpath("/v/bin/python")
facts["venv.cfg"] = {k: cfg["venv"].get(k) for k in ["home", "include-system-site-packages"]}
facts["venv.files"] = exists(
    "/v/bin/pip",
    "/v/bin/pip3",
    f"/v/bin/pip{VERSION}",
    "/v/bin/python3",
    f"/v/bin/python{VERSION}",
    "/v/bin/activate",
    f"/v/{SP}",
)
facts["venv.lib64"] = os.readlink("/v/lib64") if os.path.islink("/v/lib64") else None
facts["venv.pip_version"] = (run("/v/bin/pip --version")["out"].split(" ") + ["", ""])[1]
facts["venv.setuptools"] = run("/v/bin/python -c 'import setuptools'")["code"] == 0
facts["venv.sys_path"] = json.loads(
    run("/v/bin/python -c 'import json, sys; print(json.dumps(sys.path))'")["out"] or "[]"
)
answer = run(f"/v/bin/{PIP} gunicorn")
facts["venv.install"] = {"code": answer["code"], "paths": exists(f"/v/{SP}/gunicorn/__init__.py", "/v/bin/gunicorn")}
facts["venv.install.shebang"] = first_line("/v/bin/gunicorn")

print(json.dumps(facts))
