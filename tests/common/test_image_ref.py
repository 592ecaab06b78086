import pytest

from common.image_ref import parse_image_ref

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "spelling",
    [
        "python:3.11-slim",
        "library/python:3.11-slim",
        "docker.io/library/python:3.11-slim",
        "index.docker.io/library/python:3.11-slim",
    ],
)
def test_image_references_are_normalized(spelling):
    assert parse_image_ref(spelling).canonical == "docker.io/library/python:3.11-slim"


def test_image_reference_details():
    assert parse_image_ref("python").canonical == "docker.io/library/python:latest"
    assert parse_image_ref("ghcr.io/org/app:1").canonical == "ghcr.io/org/app:1"
    assert parse_image_ref("localhost:5000/app:2").registry == "localhost:5000"
    assert parse_image_ref("user/app").repository == "user/app"
    assert parse_image_ref("Python:3") is None and parse_image_ref("") is None


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("python", "docker.io/library/python:latest"),
        ("registry-1.docker.io/library/python:3.11", "docker.io/library/python:3.11"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost:5000", "docker.io/library/localhost:5000"),  # no slash: a name and its tag
        (f"python@{DIGEST}", f"docker.io/library/python@{DIGEST}"),  # a digest pins it: no latest
        (f"python:3.11@{DIGEST}", f"docker.io/library/python:3.11@{DIGEST}"),
    ],
)
def test_the_reference_is_what_the_daemon_resolves(text, reference):
    assert parse_image_ref(text).reference == reference


@pytest.mark.parametrize("text", ["Python", "docker.io/library/Python", "python:", "docker.io/registry:5000/app", "-"])
def test_what_docker_refuses_is_no_reference(text):
    assert parse_image_ref(text) is None
