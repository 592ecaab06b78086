"""CPython for the stand-in `python` images, built as the official images build it.

The official images compile the upstream CPython release into /usr/local. No registry and
no python.org here, so the source is the upstream tarball Debian ships as python3.11's
`.orig` (pristine, checked against the hash below) from the Debian mirror apt already
uses; pip, setuptools and wheel come from PyPI. The build runs once per machine, in a
throwaway container of the sandbox daemon (no network, the downloads are copied in) on a
debootstrapped rootfs with Debian's -dev packages; its output is cached on disk, keyed by
this recipe and the build script, so a second daemon, or the next `prepare_sandbox`,
only unpacks it.
"""

import hashlib
import io
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import docker
from docker.errors import APIError, NotFound

from .rootfs import RootfsError, apt_mirror, content_key, debootstrapped, write_tar

SCRIPT = Path(__file__).with_name("build_cpython.sh")
Say = Callable[[str], None]


class CPythonRecipe(TypedDict):
    version: str
    source: str
    sha256: str
    suite: str
    build_packages: list[str]
    wheels: list[str]


# The interpreter of Debian 12's python3.11 source package; the official images carry the
# latest 3.11 release instead (see README, "Base images without a registry").
CPYTHON: CPythonRecipe = {
    "version": "3.11.2",
    "source": "pool/main/p/python3.11/python3.11_3.11.2.orig.tar.gz",
    "sha256": "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849",
    "suite": "bookworm",
    # What the official slim-bookworm Dockerfile installs to build CPython.
    "build_packages": [
        "dpkg-dev",
        "gcc",
        "libbluetooth-dev",
        "libbz2-dev",
        "libc6-dev",
        "libdb-dev",
        "libffi-dev",
        "libgdbm-dev",
        "liblzma-dev",
        "libncursesw5-dev",
        "libreadline-dev",
        "libsqlite3-dev",
        "libssl-dev",
        "make",
        "tk-dev",
        "uuid-dev",
        "xz-utils",
        "zlib1g-dev",
    ],
    # A current pip (ensurepip bundles it too), and the setuptools and wheel the official
    # 3.11 images install.
    "wheels": ["pip==26.3", "setuptools==79.0.1", "wheel==0.45.1"],
}
BUILD_SECONDS = 3600
BUILD_MEMORY = 3 * 1024**3
BUILDER_REPO = "estaleiro/cpython-builder"
BUILD_LABEL = "estaleiro.cpython.build"


class CPythonBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class CPythonBuild:
    key: str
    directory: Path
    version: str
    pip_version: str
    runtime_packages: tuple[str, ...]

    @property
    def slim_tar(self) -> Path:
        return self.directory / "slim.tar"

    @property
    def full_tar(self) -> Path:
        return self.directory / "full.tar"


def cpython_key() -> str:
    return content_key(CPYTHON, SCRIPT.read_text(), platform.machine())


def _read(directory: Path, key: str) -> CPythonBuild:
    return CPythonBuild(
        key=key,
        directory=directory,
        version=(directory / "version").read_text().strip(),
        pip_version=(directory / "pip-version").read_text().strip(),
        runtime_packages=tuple((directory / "runtime-packages").read_text().split()),
    )


def cached_cpython(cache_dir: Path) -> CPythonBuild | None:
    key = cpython_key()
    directory = cache_dir / "cpython" / key
    return _read(directory, key) if (directory / ".complete").exists() else None


def _download_source(dest: Path, say: Say) -> None:
    if dest.exists() and hashlib.sha256(dest.read_bytes()).hexdigest() == CPYTHON["sha256"]:
        return
    url = f"{apt_mirror()}/{CPYTHON['source']}"
    say(f"downloading the CPython {CPYTHON['version']} source from {url}")
    partial = dest.with_name(dest.name + ".partial")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=120) as answer, partial.open("wb") as out:
            shutil.copyfileobj(answer, out)
    except OSError as exc:
        raise CPythonBuildError(f"cannot download {url}: {exc}") from exc
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != CPYTHON["sha256"]:
        partial.unlink()
        raise CPythonBuildError(f"{url}: sha256 {digest}, expected {CPYTHON['sha256']}")
    partial.rename(dest)


def _download_wheels(dest: Path, say: Say) -> None:
    if (dest / ".complete").exists():
        return
    dest.mkdir(parents=True, exist_ok=True)
    say(f"downloading {', '.join(CPYTHON['wheels'])}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(dest),
            *CPYTHON["wheels"],
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise CPythonBuildError(f"pip download {CPYTHON['wheels']}: {done.stderr[-2000:]}")
    (dest / ".complete").touch()


def bootstrap_wheels(cache_dir: Path, say: Say = lambda _: None) -> list[Path]:
    """The pip, setuptools and wheel wheels, also offered in the stand-ins' wheelhouse so an
    offline `pip install --upgrade pip` finds what it asks for."""
    dest = cache_dir / "sources" / f"wheels-{content_key(CPYTHON['wheels'])}"
    _download_wheels(dest, say)
    return sorted(dest.glob("*.whl"))


def _inputs_tar(source: Path, wheels: list[Path]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("in", "in/wheels", "out"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        tar.add(SCRIPT, arcname="in/build.sh")
        tar.add(source, arcname="in/python.tar.gz")
        for wheel in wheels:
            tar.add(wheel, arcname=f"in/wheels/{wheel.name}")
    return buf.getvalue()


def _builder_key() -> str:
    return content_key(CPYTHON["suite"], CPYTHON["build_packages"], platform.machine())


def _builder_image(client: docker.DockerClient, cache_dir: Path, say: Say) -> str:
    key = _builder_key()
    ref = f"{BUILDER_REPO}:{key}"
    try:
        client.api.inspect_image(ref)
        return ref
    except NotFound:
        pass
    tar_path = cache_dir / "rootfs" / f"cpython-builder-{key}.tar"
    if not tar_path.exists():
        with debootstrapped(
            suite=CPYTHON["suite"], include=CPYTHON["build_packages"], cache_dir=cache_dir, say=say
        ) as rootfs:
            write_tar(rootfs, tar_path)
    say("importing the CPython build environment")
    client.api.import_image(
        src=str(tar_path), repository=BUILDER_REPO, tag=key, changes=[f'LABEL {BUILD_LABEL}="{key}"']
    )
    return ref


def _run_build(
    client: docker.DockerClient, image: str, inputs: bytes, key: str, log_path: Path, out_tar: Path, say: Say
) -> None:
    api = client.api
    for leftover in api.containers(all=True, filters={"label": BUILD_LABEL}):
        # A build cut short (the command killed, the daemon restarted) left its container.
        api.remove_container(leftover["Id"], force=True)
    container = api.create_container(
        image,
        ["sh", "/in/build.sh"],
        network_disabled=True,
        labels={BUILD_LABEL: key},
        host_config=api.create_host_config(
            mem_limit=BUILD_MEMORY, memswap_limit=BUILD_MEMORY, cpu_shares=256, network_mode="none"
        ),
    )["Id"]
    try:
        api.put_archive(container, "/", inputs)
        api.start(container)
        say(f"compiling CPython {CPYTHON['version']} (several minutes, once per machine; log: {log_path})")
        deadline = time.monotonic() + BUILD_SECONDS
        with log_path.open("wb") as log:
            for chunk in api.logs(container, stream=True, follow=True):
                log.write(chunk)
                if time.monotonic() > deadline:
                    api.kill(container)
                    raise CPythonBuildError(f"the CPython build took over {BUILD_SECONDS} s; log: {log_path}")
        status = api.wait(container, timeout=60)["StatusCode"]
        if status != 0:
            tail = log_path.read_bytes()[-3000:].decode(errors="replace")
            raise CPythonBuildError(f"the CPython build failed (exit {status}); log: {log_path}\n{tail}")
        stream, _ = api.get_archive(container, "/out")
        with out_tar.open("wb") as out:
            for piece in stream:
                out.write(piece)
    finally:
        try:
            api.remove_container(container, force=True)
        except (APIError, NotFound):
            pass


def ensure_cpython(client: docker.DockerClient, cache_dir: Path, say: Say = lambda _: None) -> CPythonBuild:
    """The cached build, or a new one made in the daemon `client` talks to."""
    done = cached_cpython(cache_dir)
    if done:
        return done
    key = cpython_key()
    directory = cache_dir / "cpython" / key
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    started = time.monotonic()
    source = cache_dir / "sources" / Path(CPYTHON["source"]).name
    _download_source(source, say)
    wheels = bootstrap_wheels(cache_dir, say)
    try:
        image = _builder_image(client, cache_dir, say)
    except RootfsError as exc:
        raise CPythonBuildError(str(exc)) from exc
    out_tar = directory / "out.tar"
    try:
        _run_build(client, image, _inputs_tar(source, wheels), key, directory / "build.log", out_tar, say)
    finally:
        try:
            client.api.remove_image(image, force=True)
        except (APIError, NotFound):
            pass
    with tarfile.open(out_tar) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("out/") and "/" not in member.name[4:]:
                reader = tar.extractfile(member)
                assert reader is not None  # a regular file always has one
                with reader as src, (directory / member.name[4:]).open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    out_tar.unlink()
    (cache_dir / "rootfs" / f"cpython-builder-{_builder_key()}.tar").unlink(missing_ok=True)
    (directory / "seconds").write_text(f"{time.monotonic() - started:.0f}\n")
    (directory / ".complete").touch()
    return _read(directory, key)


def forget_other_builds(cache_dir: Path) -> list[str]:
    """Removes cached builds of other recipes; returns their keys."""
    keep = cpython_key()
    gone = []
    for directory in sorted((cache_dir / "cpython").glob("*")):
        if directory.is_dir() and directory.name != keep:
            shutil.rmtree(directory, ignore_errors=True)
            gone.append(directory.name)
    return gone
