"""Make the base images labs allow present in the sandbox daemon, with no registry needed.

For each allowed base (e.g. `python:3.11-slim`):
1. a *root* image: pulled when a registry answers, otherwise a stand-in built to behave
   like the official image (labelled `estaleiro.standin=true`): Debian bookworm made with
   debootstrap as Debian's own images are, and for the `python` images CPython compiled
   into /usr/local as the official Dockerfiles do (cpython.py), with their environment;
2. on top of it, a *wheelhouse* layer with the Python packages the labs declare (and pip,
   setuptools and wheel), so a learner's `pip install -r requirements.txt` works in a
   build without network. The result is tagged with the base's own name, which is what
   learners write in FROM.
Every step is keyed by content: when nothing changed a second run takes seconds, and a
second daemon on the same machine only imports what the first one made.
"""

import io
import json
import logging
import platform
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.images import Image

from common.image_ref import parse_image_ref

from .cpython import (
    CPYTHON,
    CPythonBuildError,
    Say,
    bootstrap_wheels,
    cpython_key,
    ensure_cpython,
    forget_other_builds,
)
from .pip_target import pip_download_command
from .rootfs import RootfsError, cache_lock, content_key, debootstrapped, extract_tar, ldconfig, slimify, write_tar

log = logging.getLogger(__name__)

BASE_LABEL = "estaleiro.base.key"
WHEELHOUSE_LABEL = "estaleiro.wheelhouse.key"
STANDIN_LABEL = "estaleiro.standin"
ROOT_REPO = "estaleiro/root"
# Bump when the way a stand-in is assembled changes, so every cache entry is rebuilt.
RECIPE_VERSION = 2

# docker-library/python 3.11: slim-bookworm installs these over debian:bookworm-slim ...
_SLIM = ["ca-certificates", "netbase", "tzdata"]
# ... and bookworm builds on buildpack-deps:bookworm (its curl, scm and full layers), adding
# the three -dev packages below. Learners' `pip install` of C extensions relies on these.
# (debootstrap resolves no virtual packages: libxslt1-dev is what provides libxslt-dev.)
_FULL = [
    "ca-certificates",
    "curl",
    "gnupg",
    "netbase",
    "sq",
    "wget",
    "git",
    "mercurial",
    "openssh-client",
    "subversion",
    "procps",
    "autoconf",
    "automake",
    "bzip2",
    "default-libmysqlclient-dev",
    "dpkg-dev",
    "file",
    "g++",
    "gcc",
    "imagemagick",
    "libbz2-dev",
    "libc6-dev",
    "libcurl4-openssl-dev",
    "libdb-dev",
    "libevent-dev",
    "libffi-dev",
    "libgdbm-dev",
    "libglib2.0-dev",
    "libgmp-dev",
    "libjpeg-dev",
    "libkrb5-dev",
    "liblzma-dev",
    "libmagickcore-dev",
    "libmagickwand-dev",
    "libmaxminddb-dev",
    "libncurses5-dev",
    "libncursesw5-dev",
    "libpng-dev",
    "libpq-dev",
    "libreadline-dev",
    "libsqlite3-dev",
    "libssl-dev",
    "libtool",
    "libwebp-dev",
    "libxml2-dev",
    "libxslt1-dev",
    "libyaml-dev",
    "make",
    "patch",
    "unzip",
    "xz-utils",
    "zlib1g-dev",
    "libbluetooth-dev",
    "tk-dev",
    "uuid-dev",
]


class Recipe(TypedDict):
    suite: str
    include: list[str]
    slim: bool
    python: str | None  # which CPython build goes in: "slim", "full", or none


# What the stand-in's image config needs from its rootfs: the Python and pip versions.
Facts = dict[str, str | None]

_PYTHON_SLIM: Recipe = {"suite": "bookworm", "include": _SLIM, "slim": True, "python": "slim"}
_PYTHON_FULL: Recipe = {"suite": "bookworm", "include": _FULL, "slim": False, "python": "full"}
_DEBIAN_SLIM: Recipe = {"suite": "bookworm", "include": [], "slim": True, "python": None}
RECIPES: dict[str, Recipe] = {
    "python:3.11-slim": _PYTHON_SLIM,
    "python:3.11-slim-bookworm": _PYTHON_SLIM,
    "python:3.11": _PYTHON_FULL,
    "python:3.11-bookworm": _PYTHON_FULL,
    "debian:bookworm-slim": _DEBIAN_SLIM,
    "debian:12-slim": _DEBIAN_SLIM,
}
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The official images prepend /usr/local/bin to Debian's PATH, which already has it.
PYTHON_PATH = f"/usr/local/bin:{DEBIAN_PATH}"


class BaseImageError(RuntimeError):
    pass


@dataclass(frozen=True)
class PreparedBase:
    name: str
    tag: str
    source: str  # "registry", "standin", "cached"
    packages: int
    image_id: str


def root_key(recipe: Recipe) -> str:
    return content_key(RECIPE_VERSION, recipe, cpython_key() if recipe["python"] else None, platform.machine())


def _image_with_label(client: docker.DockerClient, name: str, label: str, value: str) -> Image | None:
    try:
        image = client.images.get(name)
    except ImageNotFound:
        return None
    return image if (image.labels or {}).get(label) == value else None


def _image_id(image: Image) -> str:
    # docker-py's types allow an image without an id; one the daemon listed has one.
    assert image.id is not None
    return image.id


def _try_pull(client: docker.DockerClient, name: str) -> bool:
    """Bring the image from a registry, by a path no learner's build can take.

    The sandbox daemon has no network (its own loopback-only namespace, an internal network
    in Compose), so it cannot pull. This process can: with skopeo (Debian's `skopeo`) the
    image is copied to an archive here and loaded into the daemon. Without skopeo the
    daemon is asked, which only works for a daemon given a route out."""
    if shutil.which("skopeo"):
        return _pull_with_skopeo(client, name)
    repo, _, tag = name.partition(":")
    try:
        client.images.pull(repo, tag=tag or "latest")
        return True
    except (APIError, DockerException) as exc:
        log.info("no registry for %s (%s); using a stand-in", name, str(exc).splitlines()[0][:200])
        return False


def _pull_with_skopeo(client: docker.DockerClient, name: str, *, timeout: int = 600) -> bool:
    ref = parse_image_ref(name)
    reference = ref.reference if ref else name
    with tempfile.TemporaryDirectory(prefix="estaleiro-pull-") as tmp:
        archive = Path(tmp) / "image.tar"
        try:
            done = subprocess.run(
                ["skopeo", "copy", "--quiet", f"docker://{reference}", f"docker-archive:{archive}:{name}"],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            log.info("no registry for %s (skopeo timed out); using a stand-in", name)
            return False
        if done.returncode != 0:
            log.info("no registry for %s (%s); using a stand-in", name, done.stderr.strip().splitlines()[-1:] or "")
            return False
        with archive.open("rb") as data:
            client.images.load(data)
    return True


def _make_rootfs(client: docker.DockerClient, recipe: Recipe, tar_path: Path, cache_dir: Path, say: Say) -> Facts:
    """Writes the stand-in's rootfs tar; returns what the image's config needs to know."""
    include = list(recipe["include"])
    build = None
    if recipe["python"]:
        build = ensure_cpython(client, cache_dir, say)
        if recipe["slim"]:
            # As the slim Dockerfile keeps: the packages of the libraries CPython links to.
            include += build.runtime_packages
    with debootstrapped(suite=recipe["suite"], include=include, cache_dir=cache_dir, say=say) as rootfs:
        if recipe["slim"]:
            slimify(rootfs)
        if build:
            extract_tar(rootfs, build.slim_tar if recipe["slim"] else build.full_tar)
            ldconfig(rootfs)
        write_tar(rootfs, tar_path)
    facts: Facts = {
        "python_version": build.version if build else None,
        "pip_version": build.pip_version if build else None,
    }
    tar_path.with_suffix(".json").write_text(json.dumps(facts))
    return facts


def _config_changes(name: str, key: str, recipe: Recipe, facts: Facts) -> list[str]:
    changes = [f'LABEL {BASE_LABEL}="{key}" {STANDIN_LABEL}="true" estaleiro.standin.for="{name}"']
    if recipe["python"]:
        changes += [
            f"ENV PATH={PYTHON_PATH}",
            "ENV LANG=C.UTF-8",
            f"ENV PYTHON_VERSION={facts['python_version']}",
            'CMD ["python3"]',
        ]
    else:
        changes += [f"ENV PATH={DEBIAN_PATH}", 'CMD ["bash"]']
    return changes


def _root_image(client: docker.DockerClient, name: str, recipe: Recipe, cache_dir: Path, say: Say) -> tuple[str, str]:
    """The image under the wheelhouse layer; returns (image reference, source)."""
    key = root_key(recipe)
    root_ref = f"{ROOT_REPO}:{key}"
    if _image_with_label(client, root_ref, BASE_LABEL, key):
        return root_ref, "cached"
    if _try_pull(client, name):
        client.images.get(name).tag(ROOT_REPO, tag=key)
        # A pulled image carries no label of ours; remember it by tag only.
        return root_ref, "registry"
    tar_path = cache_dir / "rootfs" / f"{key}.tar"
    facts_path = tar_path.with_suffix(".json")
    try:
        with cache_lock(cache_dir):
            if tar_path.exists() and facts_path.exists():
                facts = json.loads(facts_path.read_text())
            else:
                facts = _make_rootfs(client, recipe, tar_path, cache_dir, say)
    except (RootfsError, CPythonBuildError) as exc:
        raise BaseImageError(f"{name}: {exc}") from exc
    say(f"importing the stand-in for {name}")
    client.api.import_image(
        src=str(tar_path), repository=ROOT_REPO, tag=key, changes=_config_changes(name, key, recipe, facts)
    )
    return root_ref, "standin"


def wheel_platforms() -> list[str]:
    """The wheel platforms the stand-ins (glibc 2.36) can install."""
    machine = platform.machine()
    return [f"manylinux2014_{machine}", f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"linux_{machine}"]


def _download_wheels(packages: list[str], python: str, dest: Path, say: Say) -> None:
    if (dest / ".complete").exists():
        return
    dest.mkdir(parents=True, exist_ok=True)
    say(f"downloading {len(packages)} package(s) and their dependencies for Python {python}")
    cmd = pip_download_command(python, dest=str(dest), platforms=wheel_platforms())
    done = subprocess.run(cmd + packages, capture_output=True, text=True)
    if done.returncode != 0:
        raise BaseImageError(f"pip download failed for {packages}: {done.stderr[-3000:]}")
    (dest / ".complete").touch()


def _wheelhouse_context(root_ref: str, wheels: list[Path], key: str, name: str) -> bytes:
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
        for wheel in sorted(set(wheels), key=lambda p: p.name):
            tar.add(wheel, arcname=f"wheelhouse/{wheel.name}")
    return buf.getvalue()


def _wheelhouse_layer(
    client: docker.DockerClient, *, under: str, tag: str, name: str, packages: list[str], cache_dir: Path, say: Say
) -> str:
    """`tag`: the image `under`, plus /opt/wheelhouse with `packages` (and pip, setuptools
    and wheel) and the pip settings that use it; kept when nothing changed. Returns its id."""
    wheels = bootstrap_wheels(cache_dir, say)
    key = content_key(name, client.images.get(under).id, packages, [w.name for w in wheels])
    ready = _image_with_label(client, tag, WHEELHOUSE_LABEL, key)
    if ready:
        return _image_id(ready)
    if packages:
        wheel_dir = cache_dir / "wheels" / content_key(CPYTHON["version"], packages, platform.machine())
        _download_wheels(packages, CPYTHON["version"], wheel_dir, say)
        wheels += sorted(wheel_dir.glob("*.whl"))
    say(f"adding the offline wheelhouse layer to {tag}")
    context = _wheelhouse_context(under, wheels, key, name)
    errors = []
    for chunk in client.api.build(
        fileobj=io.BytesIO(context),
        custom_context=True,
        tag=tag,
        decode=True,
        network_mode="none",
        rm=True,
        forcerm=True,
        pull=False,
    ):
        if "error" in chunk:
            errors.append(chunk["error"])
    if errors:
        raise BaseImageError(f"{tag}: wheelhouse layer failed: {' '.join(errors)[:2000]}")
    return _image_id(client.images.get(tag))


def prepare_base(
    client: docker.DockerClient,
    name: str,
    packages: list[str],
    cache_dir: Path,
    say: Say = lambda _: None,
    tag_prefix: str = "",
) -> PreparedBase:
    """Makes `name` ready in the daemon, tagged `tag_prefix + name` (a prefix keeps a new
    recipe away from the tags the labs use until it is trusted)."""
    tag = f"{tag_prefix}{name}"
    recipe = RECIPES.get(name)
    if recipe is None:
        if _try_pull(client, name):
            image = client.images.get(name)
            if tag != name:
                image.tag(tag)
            return PreparedBase(name=name, tag=tag, source="registry", packages=0, image_id=_image_id(image))
        raise BaseImageError(f"{name}: no registry answers and no stand-in recipe exists (known: {', '.join(RECIPES)})")
    if packages and not recipe["python"]:
        raise BaseImageError(f"{name}: packages were declared for a base without Python")
    packages = sorted(set(packages))
    root_ref, source = _root_image(client, name, recipe, cache_dir, say)
    if not recipe["python"]:
        image = client.images.get(root_ref)
        image.tag(tag)
        return PreparedBase(name=name, tag=tag, source=source, packages=0, image_id=_image_id(image))
    image_id = _wheelhouse_layer(
        client, under=root_ref, tag=tag, name=name, packages=packages, cache_dir=cache_dir, say=say
    )
    return PreparedBase(name=name, tag=tag, source=source, packages=len(packages), image_id=image_id)


def official_with_wheelhouse(
    client: docker.DockerClient, name: str, tag: str, packages: list[str], cache_dir: Path, say: Say = lambda _: None
) -> str:
    """The official image `name` pulled from a registry, with the same offline wheelhouse
    layer as a stand-in, tagged `tag` (for comparing the two). BaseImageError when no
    registry answers."""
    if not _try_pull(client, name):
        raise BaseImageError(f"{name} could not be pulled")
    return _wheelhouse_layer(
        client, under=name, tag=tag, name=name, packages=sorted(set(packages)), cache_dir=cache_dir, say=say
    )


def forget_superseded(client: docker.DockerClient, cache_dir: Path) -> list[str]:
    """After a recipe change: drop the cache entries and root tags of earlier recipes.

    A root tag is only dropped when no other tagged image stands on it (a base, a test's
    image, a submission being graded); once untagged, the old root and the build steps
    on it are ordinary build cache that the janitor evicts. Returns what went."""
    current = {root_key(recipe) for recipe in RECIPES.values()}
    gone = [f"cache: cpython/{key}" for key in forget_other_builds(cache_dir)]
    for path in sorted((cache_dir / "rootfs").glob("*")):
        if path.name.split(".")[0] not in current and not path.name.startswith("cpython-builder-"):
            path.unlink(missing_ok=True)
            gone.append(f"cache: rootfs/{path.name}")
    api = client.api
    images = api.images(all=True)
    parents = {image["Id"]: image.get("ParentId") or "" for image in images}
    held: set[str] = set()
    for image in images:
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        if tags and not all(t.startswith(f"{ROOT_REPO}:") for t in tags):
            ancestor = parents.get(image["Id"], "")
            while ancestor:
                held.add(ancestor)
                ancestor = parents.get(ancestor, "")
    for image in images:
        for tag in image.get("RepoTags") or []:
            if tag.startswith(f"{ROOT_REPO}:") and tag.split(":", 1)[1] not in current and image["Id"] not in held:
                try:
                    # force: untag even if untagged build steps stand on it; noprune keeps them.
                    api.remove_image(tag, force=True, noprune=True)
                    gone.append(f"image: {tag}")
                except (APIError, NotFound) as exc:
                    log.info("kept %s: %s", tag, exc)
    return gone
