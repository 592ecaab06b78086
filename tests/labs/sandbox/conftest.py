"""Fixtures for tests against the real sandbox daemon: a DockerSandbox, per-test labels,
and a check that each test left no container or image behind."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from labs.grading.types import SUBMISSION_IMAGE_REPO

BUSYBOX = Path("/bin/busybox")
TEST_LABEL = "estaleiro.test"
SUBMISSION = "estaleiro.submission"
# Every test image starts like this, so shell-form RUN works in a FROM-scratch image; the
# prefix is built once and then comes from the build cache.
PREFIX = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'


def context(dockerfile: str, **extra: bytes) -> dict[str, bytes]:
    return {"Dockerfile": dockerfile.encode(), "busybox": BUSYBOX.read_bytes(), **extra}


@pytest.fixture(scope="session")
def sandbox(sandbox_docker):
    from labs.sandbox.docker_sandbox import DockerSandbox

    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed")
    box = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    yield box
    box.close()


@pytest.fixture
def labels(sandbox_docker):
    """Labels for one test's work; afterwards nothing carrying them may remain."""
    value = f"test-{uuid.uuid4().hex[:12]}"
    yield {SUBMISSION: value, TEST_LABEL: "sandbox"}
    selector = {"label": f"{SUBMISSION}={value}"}
    containers = sandbox_docker.api.containers(all=True, filters=selector)
    images = sandbox_docker.api.images(all=True, filters=selector)
    images += sandbox_docker.api.images(filters={"reference": f"{SUBMISSION_IMAGE_REPO}/{value}-*"})
    for item in containers:
        sandbox_docker.api.remove_container(item["Id"], force=True, v=True)
    for item in images:
        sandbox_docker.api.remove_image(item["Id"], force=True, noprune=True)
    assert not containers, f"containers left behind: {[c['Id'][:12] for c in containers]}"
    assert not images, f"images left behind: {[i['Id'][:19] for i in images]}"


@pytest.fixture
def nonce() -> str:
    """Makes a RUN step unique, so it is not served from the build cache and its container
    can be recognised in `docker ps` output."""
    return uuid.uuid4().hex[:16]


def nonce_layers(client, image: str, nonce: str) -> list[str]:
    """The image's ancestors down to the step that mentions `nonce`: cache entries only this
    test can ever hit, to be dropped with `drop_layers` once the test is done."""
    found, current = [], client.api.inspect_image(image)
    while current:
        found.append(current["Id"])
        if nonce in " ".join((current.get("ContainerConfig") or {}).get("Cmd") or []):
            return found
        current = client.api.inspect_image(current["Parent"]) if current.get("Parent") else None
    return []


def drop_layers(client, image_ids: list[str]) -> None:
    from docker.errors import APIError

    for image_id in image_ids:  # child first
        try:
            client.api.remove_image(image_id, noprune=True)
        except APIError:
            pass


def containers_mentioning(client, text: str) -> list[dict]:
    return [c for c in client.api.containers(all=True) if text in (c.get("Command") or "")]
