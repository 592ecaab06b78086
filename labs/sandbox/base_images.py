"""Make the base images labs allow present in the sandbox daemon, with no registry needed.

For each allowed base (e.g. `python:3.11-slim`):
1. a *root* image: pulled when a registry answers, otherwise a Debian stand-in made with
   debootstrap and imported (labelled `estaleiro.standin=true`), cached on disk by recipe;
2. on top of it, a *wheelhouse* layer with the Python packages the labs declare, so a
   learner's `pip install -r requirements.txt` works in a build without network. The
   result is tagged with the base's own name, which is what learners write in FROM.
Both steps are keyed by content: when nothing changed a second run takes seconds.
"""

import hashlib
import io
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, DockerException, ImageNotFound

log = logging.getLogger(__name__)

BASE_LABEL = "estaleiro.base.key"
WHEELHOUSE_LABEL = "estaleiro.wheelhouse.key"
STANDIN_LABEL = "estaleiro.standin"

# What a stand-in is made of: Debian 12 ships Python 3.11, so only 3.11 bases are faithful.
_PYTHON = ["python3", "python3-pip", "python3-venv", "python-is-python3", "ca-certificates"]
RECIPES: dict[str, dict] = {
    "python:3.11-slim": {"suite": "bookworm", "include": _PYTHON, "python": "3.11"},
    "python:3.11-slim-bookworm": {"suite": "bookworm", "include": _PYTHON, "python": "3.11"},
    # The "full" image: what the slim one lacks (compilers, headers, git), as the official one has.
    "python:3.11": {"suite": "bookworm", "include": _PYTHON + ["build-essential", "python3-dev", "git", "curl"], "python": "3.11"},
    "python:3.11-bookworm": {"suite": "bookworm", "include": _PYTHON + ["build-essential", "python3-dev", "git", "curl"], "python": "3.11"},
    "debian:bookworm-slim": {"suite": "bookworm", "include": ["ca-certificates"], "python": None},
    "debian:12-slim": {"suite": "bookworm", "include": ["ca-certificates"], "python": None},
}
# Trimmed from the stand-in as the official slim images do (docs, caches, apt lists).
_TRIM = ["var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"]


class BaseImageError(RuntimeError):
    pass


@dataclass(frozen=True)
class PreparedBase:
    name: str
    source: str  # "registry", "standin", "cached"
    packages: int
    image_id: str


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _apt_mirror() -> str:
    """The Debian mirror this machine's apt already uses (a school may run its own)."""
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if path.suffix == ".sources" and words[:1] == ["URIs:"] and "security" not in words[1]:
                return words[1]
            if words[:1] == ["deb"] and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    raise BaseImageError("no Debian mirror found in /etc/apt/sources.list(.d)")


def _image_with_label(client: docker.DockerClient, name: str, label: str, value: str):
    try:
        image = client.images.get(name)
    except ImageNotFound:
        return None
    return image if (image.labels or {}).get(label) == value else None


def _try_pull(client: docker.DockerClient, name: str) -> bool:
    repo, _, tag = name.partition(":")
    try:
        client.images.pull(repo, tag=tag or "latest")
        return True
    except (APIError, DockerException) as exc:
        log.info("no registry for %s (%s); using a Debian stand-in", name, str(exc).splitlines()[0][:200])
        return False


def _debootstrap_tar(recipe: dict, dest: Path, say: Callable[[str], None]) -> None:
    if os.geteuid() != 0:
        raise BaseImageError("building a stand-in base image needs root (debootstrap)")
    if not shutil.which("debootstrap"):
        raise BaseImageError("debootstrap is not installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="estaleiro-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        say(f"debootstrap {recipe['suite']} (a minute or so)")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(recipe['include'])}",
               recipe["suite"], str(rootfs), _apt_mirror()]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BaseImageError(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        for rel in _TRIM:
            target = rootfs / rel
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir(parents=True)
        if recipe["python"]:
            # The official image lets `pip install` write system-wide; so must the stand-in.
            (rootfs / f"usr/lib/python{recipe['python']}/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        partial = dest.with_suffix(".partial")
        subprocess.run(["tar", "--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
                        "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.rename(dest)


def _root_image(client, name: str, recipe: dict, cache_dir: Path, say) -> tuple[str, str]:
    """The image under the wheelhouse layer; returns (image reference, source)."""
    key = _key(recipe)
    root_ref = f"estaleiro/root:{key}"
    if _image_with_label(client, root_ref, BASE_LABEL, key):
        return root_ref, "cached"
    if _try_pull(client, name):
        client.images.get(name).tag("estaleiro/root", tag=key)
        # A pulled image carries no label of ours; remember it by tag only.
        return root_ref, "registry"
    tar_path = cache_dir / "rootfs" / f"{key}.tar"
    tar_path.parent.mkdir(parents=True, exist_ok=True)
    if not tar_path.exists():
        _debootstrap_tar(recipe, tar_path, say)
    say(f"importing the stand-in for {name}")
    changes = [
        f'LABEL {BASE_LABEL}="{key}" {STANDIN_LABEL}="true" estaleiro.standin.for="{name}"',
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]' if recipe["python"] else 'CMD ["bash"]',
    ]
    client.api.import_image(src=str(tar_path), repository="estaleiro/root", tag=key, changes=changes)
    return root_ref, "standin"


def _download_wheels(packages: list[str], python: str, dest: Path, say) -> None:
    if (dest / ".complete").exists():
        return
    dest.mkdir(parents=True, exist_ok=True)
    say(f"downloading {len(packages)} package(s) and their dependencies for Python {python}")
    machine = platform.machine()
    platforms = [f"manylinux2014_{machine}", f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"linux_{machine}"]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--python-version", python,
           "--implementation", "cp", "-d", str(dest)]
    for plat in platforms:
        cmd += ["--platform", plat]
    done = subprocess.run(cmd + packages, capture_output=True, text=True)
    if done.returncode != 0:
        raise BaseImageError(f"pip download failed for {packages}: {done.stderr[-3000:]}")
    (dest / ".complete").touch()


def _wheelhouse_context(root_ref: str, wheel_dir: Path, key: str, name: str) -> bytes:
    dockerfile = (
        f"FROM {root_ref}\n"
        "COPY wheelhouse/ /opt/wheelhouse/\n"
        "ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/opt/wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1\n"
        f'LABEL {WHEELHOUSE_LABEL}="{key}" estaleiro.base.name="{name}"\n'
    ).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        info = tarfile.TarInfo("wheelhouse")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        for wheel in sorted(wheel_dir.glob("*.whl")):
            tar.add(wheel, arcname=f"wheelhouse/{wheel.name}")
    return buf.getvalue()


def prepare_base(client, name: str, packages: list[str], cache_dir: Path, say=lambda _: None) -> PreparedBase:
    recipe = RECIPES.get(name)
    if recipe is None:
        if _try_pull(client, name):
            return PreparedBase(name=name, source="registry", packages=0, image_id=client.images.get(name).id)
        raise BaseImageError(f"{name}: no registry answers and no Debian stand-in recipe exists (known: {', '.join(RECIPES)})")
    if packages and not recipe["python"]:
        raise BaseImageError(f"{name}: packages were declared for a base without Python")
    packages = sorted(set(packages))
    root_ref, source = _root_image(client, name, recipe, cache_dir, say)
    root_id = client.images.get(root_ref).id
    key = _key(name, root_id, packages)
    ready = _image_with_label(client, name, WHEELHOUSE_LABEL, key)
    if ready:
        return PreparedBase(name=name, source="cached" if source == "cached" else source, packages=len(packages), image_id=ready.id)
    wheel_dir = cache_dir / "wheels" / _key(recipe.get("python"), packages, platform.machine())
    if packages:
        _download_wheels(packages, recipe["python"], wheel_dir, say)
    else:
        wheel_dir.mkdir(parents=True, exist_ok=True)
    say(f"adding the offline wheelhouse layer to {name}")
    context = _wheelhouse_context(root_ref, wheel_dir, key, name)
    errors = []
    for chunk in client.api.build(fileobj=io.BytesIO(context), custom_context=True, tag=name, decode=True,
                                  network_mode="none", rm=True, forcerm=True, pull=False):
        if "error" in chunk:
            errors.append(chunk["error"])
    if errors:
        raise BaseImageError(f"{name}: wheelhouse layer failed: {' '.join(errors)[:2000]}")
    return PreparedBase(name=name, source=source, packages=len(packages), image_id=client.images.get(name).id)
