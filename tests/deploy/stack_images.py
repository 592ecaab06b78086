"""The images docker-compose.yml names, present on the host engine of the live-stack test.

No registry answers on these machines, so each image the Compose file names is a local
stand-in built from Debian packages (labelled `estaleiro.standin=true`, like the labs'
bases), tagged with exactly that name:

- `postgres:16-alpine`, `redis:7-alpine`, `docker:27.5.1-dind`: one Debian bookworm
  rootfs made with debootstrap on this host (which reaches Debian's mirror), imported once,
  and one small layer per image with the entry point of deploy/standins/ that honours what
  the Compose file uses of the official image (see deploy/standins/README.md);
- `python:3.11-slim`, which the Dockerfile starts FROM: the labs' own stand-in
  (base_images.prepare_base) under the offline layer of offline_base.py, so that
  `docker compose build` installs requirements.txt and the Debian packages with no network.

Every image is keyed by the content of its recipe (packages, scripts, Dockerfile lines):
a later run finds it and builds nothing. Where a registry answers, the real image is
pulled instead (skopeo, as prepare_sandbox does) and no stand-in is made for it.
"""

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound, NotFound

from labs.sandbox.base_images import STANDIN_LABEL, _try_pull, prepare_base
from labs.sandbox.context import make_tar
from labs.sandbox.rootfs import content_key, debootstrapped, slimify, write_tar

from .offline_base import BASE, ensure_offline_base, stream_build
from .project import ROOT

Say = Callable[[str], None]

RECIPE_VERSION = 1  # bump when the way the stand-ins are assembled changes
KEY_LABEL = "estaleiro.stack.standin.key"
ROOT_REPO = "estaleiro-stack/root"
SCRIPTS = ROOT / "deploy" / "standins"
# One rootfs for the three service images: PostgreSQL 15 (Debian 12's; the official tag
# says 16), Redis 7.0, Docker 20.10 with containerd and runc (the official dind is 27.5),
# and what deploy/sandbox-entrypoint.sh runs: mkfs.ext4, e2fsck, mountpoint, a busybox
# to bind-mount the static one over.
PACKAGES = [
    "busybox",
    "ca-certificates",
    "docker.io",
    "e2fsprogs",
    "iproute2",
    "libdevmapper1.02.1",
    "openssl",
    "postgresql-15",
    "procps",
    "redis-server",
    "redis-tools",
]
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# What each stand-in adds over the shared rootfs: its entry point and the official image's
# environment, volume, ports and command.
LAYERS = {
    "postgres:16-alpine": (
        "postgres-entrypoint.sh",
        "COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh\n"
        # Debian's package made a cluster of its own at install; the image makes one at first start.
        "RUN rm -rf /var/lib/postgresql/15 /etc/postgresql/15 \\\n"
        "    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\\n"
        "    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql\n"
        f"ENV PATH=/usr/lib/postgresql/15/bin:{DEBIAN_PATH} PGDATA=/var/lib/postgresql/data LANG=C.UTF-8\n"
        "VOLUME /var/lib/postgresql/data\n"
        "EXPOSE 5432\n"
        "STOPSIGNAL SIGINT\n"
        'ENTRYPOINT ["docker-entrypoint.sh"]\n'
        'CMD ["postgres"]\n',
    ),
    "redis:7-alpine": (
        "redis-entrypoint.sh",
        "COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh\n"
        "RUN mkdir -p /data && chown redis:redis /data\n"
        "VOLUME /data\n"
        "WORKDIR /data\n"
        "EXPOSE 6379\n"
        'ENTRYPOINT ["docker-entrypoint.sh"]\n'
        'CMD ["redis-server"]\n',
    ),
    "docker:27.5.1-dind": (
        "dockerd-entrypoint.sh",
        "COPY dockerd-entrypoint.sh /usr/local/bin/dockerd-entrypoint.sh\n"
        # The official image's dockerd is /usr/local/bin/dockerd (deploy/sandbox-entrypoint.sh execs it).
        "RUN ln -s /usr/sbin/dockerd /usr/local/bin/dockerd\n"
        "ENV DOCKER_TLS_CERTDIR=/certs\n"
        "VOLUME /var/lib/docker\n"
        "EXPOSE 2375 2376\n"
        'ENTRYPOINT ["dockerd-entrypoint.sh"]\n'
        "CMD []\n",
    ),
}


def host_client(socket: str) -> docker.DockerClient:
    return docker.DockerClient(base_url=socket, timeout=900)


def cache_dir() -> Path:
    return Path(os.environ.get("ESTALEIRO_CACHE_DIR", "/var/cache/estaleiro"))


def root_key() -> str:
    return content_key(RECIPE_VERSION, "bookworm", PACKAGES, os.uname().machine)


def image_key(name: str) -> str:
    script, layer = LAYERS[name]
    return content_key(root_key(), name, layer, (SCRIPTS / script).read_text())


def _labelled(client: docker.DockerClient, name: str, key: str) -> bool:
    try:
        return (client.api.inspect_image(name)["Config"].get("Labels") or {}).get(KEY_LABEL) == key
    except ImageNotFound:
        return False


def _is_real(client: docker.DockerClient, name: str) -> bool:
    """An image under that name that is no stand-in of ours: pulled from a registry."""
    try:
        labels = client.api.inspect_image(name)["Config"].get("Labels") or {}
    except ImageNotFound:
        return False
    return labels.get(STANDIN_LABEL) != "true"


def _ensure_root(client: docker.DockerClient, timings: dict[str, float], say: Say) -> str:
    key = root_key()
    ref = f"{ROOT_REPO}:{key}"
    if _labelled(client, ref, key):
        return ref
    started = time.monotonic()
    with debootstrapped(
        suite="bookworm", include=PACKAGES, cache_dir=cache_dir() / "stack-standins", say=say
    ) as rootfs:
        slimify(rootfs)
        with tempfile.TemporaryDirectory(prefix="estaleiro-stack-") as tmp:
            tar = Path(tmp) / "rootfs.tar"
            write_tar(rootfs, tar)
            timings["stand-ins: debootstrap"] = time.monotonic() - started
            client.api.import_image(
                src=str(tar),
                repository=ROOT_REPO,
                tag=key,
                changes=[f"ENV PATH={DEBIAN_PATH}", f'LABEL {KEY_LABEL}="{key}"', 'CMD ["bash"]'],
            )
    timings["stand-ins: rootfs"] = time.monotonic() - started
    for image in client.api.images(name=ROOT_REPO):
        for tag in image.get("RepoTags") or []:
            if tag != ref:
                try:
                    client.api.remove_image(tag, noprune=True)
                except (APIError, NotFound):
                    pass
    return ref


def ensure_service_image(client: docker.DockerClient, name: str, timings: dict[str, float], say: Say) -> str:
    """`name` on the host engine; returns where it came from: cached, registry or standin."""
    key = image_key(name)
    if _labelled(client, name, key) or _is_real(client, name):
        return "cached"
    if _try_pull(client, name):
        return "registry"
    root = _ensure_root(client, timings, say)
    script, layer = LAYERS[name]
    dockerfile = (
        f'FROM {root}\n{layer}LABEL {STANDIN_LABEL}="true" estaleiro.standin.for="{name}" {KEY_LABEL}="{key}"\n'
    )
    context = make_tar({"Dockerfile": dockerfile.encode(), script: (SCRIPTS / script).read_bytes()})
    timings[f"stand-in {name}"] = stream_build(client.api, context=context, tag=name)["seconds"]
    return "standin"


def ensure_python_base(client: docker.DockerClient, timings: dict[str, float], say: Say) -> str:
    """python:3.11-slim as the Dockerfile's FROM needs it here: the labs' root (stand-in or
    pulled), plus the offline wheelhouse and apt repository. Returns the offline base's ref."""
    started = time.monotonic()
    staging = "estaleiro-stack/"
    prepare_base(client, BASE, [], cache_dir() / "base-images", say=say, tag_prefix=staging)
    ref = ensure_offline_base(client.api, timings, under=staging + BASE)
    repo, _, tag = BASE.partition(":")
    client.api.tag(ref, repo, tag)
    timings["python base"] = time.monotonic() - started
    return ref


@dataclass
class StackImages:
    sources: dict[str, str]  # name -> cached, registry or standin
    timings: dict[str, float]


def ensure_stack_images(socket: str, say: Say = lambda _: None) -> StackImages:
    """Every image the stack needs on the engine at `socket`."""
    timings: dict[str, float] = {}
    client = host_client(socket)
    try:
        sources = {name: ensure_service_image(client, name, timings, say) for name in LAYERS}
        ensure_python_base(client, timings, say)
    finally:
        client.close()
    return StackImages(sources=sources, timings=timings)
