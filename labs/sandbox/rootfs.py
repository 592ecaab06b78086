"""Debian root file systems for the stand-in base images, made on the host with debootstrap.

A rootfs is made the way Debian's official container images are (debuerreotype): the
minbase variant, a few container-friendly settings for apt and dpkg, and for the slim
variant the dpkg excludes that keep documentation and translations out. The result is a
tar kept in the cache directory, named by the caller's key.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


class RootfsError(RuntimeError):
    pass


def content_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def apt_mirror() -> str:
    """The Debian mirror this machine's apt already uses (a school may run its own)."""
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if path.suffix == ".sources" and words[:1] == ["URIs:"] and "security" not in words[1]:
                return words[1].rstrip("/")
            if words[:1] == ["deb"] and "security" not in line:
                return next(w for w in words[1:] if "://" in w).rstrip("/")
    raise RootfsError("no Debian mirror found in /etc/apt/sources.list(.d)")


# Paths the slim variant keeps out of the image, now and for packages installed later
# (dpkg's path-exclude), with the files Debian's slim images keep nonetheless.
SLIM_EXCLUDE = [
    "/usr/share/doc/*",
    "/usr/share/info/*",
    "/usr/share/linda/*",
    "/usr/share/lintian/overrides/*",
    "/usr/share/locale/*",
    "/usr/share/man/*",
]
SLIM_INCLUDE = ["/usr/share/doc/*/copyright", "/usr/share/locale/locale.alias"]

# What Debian's container images set for apt and dpkg: no daemons started by package
# scripts, no downloaded .deb files or package lists kept, no translations fetched.
_APT_CLEAN = '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
CONTAINER_SETTINGS = {
    "usr/sbin/policy-rc.d": ("exit 101\n", 0o755),
    "etc/dpkg/dpkg.cfg.d/docker-apt-speedup": ("force-unsafe-io\n", 0o644),
    "etc/apt/apt.conf.d/docker-autoremove-suggests": ('Apt::AutoRemove::SuggestsImportant "false";\n', 0o644),
    "etc/apt/apt.conf.d/docker-clean": (
        f"DPkg::Post-Invoke {{ {_APT_CLEAN} }};\nAPT::Update::Post-Invoke {{ {_APT_CLEAN} }};\n"
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
        0o644,
    ),
    "etc/apt/apt.conf.d/docker-gzip-indexes": ('Acquire::GzipIndexes "true";\n', 0o644),
    "etc/apt/apt.conf.d/docker-no-languages": ('Acquire::Languages "none";\n', 0o644),
}
# Left by debootstrap, never wanted in an image: the build host's name and resolver, and
# what apt downloaded (Docker provides /etc/hosts, /etc/hostname and /etc/resolv.conf).
_HOST_LEFTOVERS = ["etc/hostname", "etc/resolv.conf", "var/lib/apt/lists", "var/cache/apt", "var/log/bootstrap.log"]


def _require_root_and_debootstrap() -> None:
    if os.geteuid() != 0:
        raise RootfsError("building a stand-in base image needs root (debootstrap)")
    if not shutil.which("debootstrap"):
        raise RootfsError("debootstrap is not installed (apt-get install debootstrap)")


def _emptied(rootfs: Path, rel: str, keep: Callable[[Path], bool] = lambda _: False) -> None:
    top = rootfs / rel
    if not top.exists():
        return
    for path in sorted(top.rglob("*"), reverse=True):  # children before their directory
        if keep(path) or (path.is_dir() and not path.is_symlink() and any(path.iterdir())):
            continue
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()


def slimify(rootfs: Path) -> None:
    """Debian's slim variant: the excluded paths removed now and excluded from later installs."""
    lines = ["# The slim variant: files containers do not need stay out of the image."]
    lines += [f"path-exclude {pattern}" for pattern in SLIM_EXCLUDE]
    lines += [f"path-include {pattern}" for pattern in SLIM_INCLUDE]
    config = rootfs / "etc/dpkg/dpkg.cfg.d/docker"
    config.write_text("\n".join(lines) + "\n")
    for pattern in SLIM_EXCLUDE:
        rel = pattern.strip("/").removesuffix("/*")
        _emptied(rootfs, rel, keep=lambda p: p.name in {"copyright", "locale.alias"} and not p.is_dir())


def _container_settings(rootfs: Path) -> None:
    for rel, (text, mode) in CONTAINER_SETTINGS.items():
        path = rootfs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
    for rel in _HOST_LEFTOVERS:
        path = rootfs / rel
        if path.is_dir() and not path.is_symlink():
            _emptied(rootfs, rel)
        elif path.exists() or path.is_symlink():
            path.unlink()
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def extract_tar(rootfs: Path, tar_path: Path) -> None:
    subprocess.run(["tar", "--numeric-owner", "-xpf", str(tar_path), "-C", str(rootfs)], check=True)


@contextmanager
def debootstrapped(
    *, suite: str, include: Iterable[str], cache_dir: Path, say: Callable[[str], None]
) -> Iterator[Path]:
    """A fresh minbase rootfs in a temporary directory, removed on exit."""
    _require_root_and_debootstrap()
    debs = cache_dir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    packages = sorted(set(include))
    with tempfile.TemporaryDirectory(prefix="estaleiro-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        say(f"debootstrap {suite} with {len(packages)} extra package(s) (a minute or a few)")
        command = ["debootstrap", "--variant=minbase", f"--cache-dir={debs.resolve()}"]
        if packages:
            command.append(f"--include={','.join(packages)}")
        done = subprocess.run([*command, suite, str(rootfs), apt_mirror()], capture_output=True, text=True)
        if done.returncode != 0:
            log = rootfs / "debootstrap/debootstrap.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RootfsError(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}{detail}")
        _container_settings(rootfs)
        yield rootfs


@contextmanager
def cache_lock(cache_dir: Path) -> Iterator[None]:
    """One maker at a time per cache directory: two `prepare_sandbox` runs (one per daemon)
    started together would otherwise both compile CPython and debootstrap."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ldconfig(rootfs: Path) -> None:
    """The rootfs's own linker cache, made from its /etc/ld.so.conf (libraries added under /usr/local)."""
    subprocess.run(["ldconfig", "-r", str(rootfs)], check=True)


def write_tar(rootfs: Path, dest: Path) -> None:
    """The rootfs as a tar for `docker import`, written whole or not at all."""
    partial = dest.with_name(dest.name + ".partial")
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "tar",
            "--numeric-owner",
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "-C",
            str(rootfs),
            "-cf",
            str(partial),
            ".",
        ],
        check=True,
    )
    partial.rename(dest)
