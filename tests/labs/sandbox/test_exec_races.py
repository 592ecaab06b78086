"""The daemon's answers when a container ends while we exec into it, faked at the docker-py
boundary: the race is a matter of microseconds on the real daemon and cannot be provoked
reliably (the real-daemon side of exec is in test_run.py and the hostile corpus)."""

import pytest
import requests
from docker.errors import APIError

from labs.grading.types import Limits
from labs.sandbox.faults import PlatformError
from labs.sandbox.run import NOT_RUNNING, DockerContainer
from tests.labs.sandbox.fakes import as_client


def api_error(status: int, message: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(message, response=response, explanation=message)


class FakeApi:
    def __init__(self, *, start_error: APIError, running: bool):
        self.start_error = start_error
        self.running = running

    def exec_create(self, container_id, argv, **kwargs):
        return {"Id": "exec-1"}

    def exec_start(self, exec_id, **kwargs):
        raise self.start_error

    def inspect_container(self, container_id):
        return {"State": {"Running": self.running}}


class FakeClient:
    def __init__(self, api):
        self.api = api


def container(api) -> DockerContainer:
    return DockerContainer(as_client(FakeClient(api)), "c" * 64, limits=Limits())


EXITED = "Container cccc is not running: Exited (0) Less than a second ago"


def test_container_that_exits_between_create_and_start_is_not_a_platform_fault():
    box = container(FakeApi(start_error=api_error(500, EXITED), running=False))
    answer = box.http(method="GET", port=5000, path="/", body=None, headers={}, timeout=2)
    assert answer.status is None and answer.error == NOT_RUNNING
    assert box.exec(["true"], timeout=2).output == NOT_RUNNING


@pytest.mark.parametrize("status", [404, 409])
def test_removed_or_stopped_container_is_not_running(status):
    box = container(FakeApi(start_error=api_error(status, "gone"), running=True))
    assert box.exec(["true"], timeout=2).output == NOT_RUNNING


def test_server_error_on_a_running_container_is_a_platform_fault():
    box = container(FakeApi(start_error=api_error(500, "containerd: transport is closing"), running=True))
    with pytest.raises(PlatformError, match="transport is closing"):
        box.exec(["true"], timeout=2)


class CreatingClient:
    """Only what start_container needs before the daemon refuses the container."""

    def __init__(self, error: APIError, volumes=None):
        self.error = error
        self.api = self
        self.volumes = volumes or {}

    def inspect_image(self, image):
        return {"Config": {"Volumes": self.volumes}}

    @property
    def containers(self):
        return self

    def create(self, image, **options):
        self.options = options
        raise self.error


@pytest.mark.parametrize("status, refused", [(400, True), (500, False)])
def test_a_container_the_daemon_calls_invalid_is_the_images_fault_a_server_error_the_platforms(status, refused):
    from labs.grading.ports import ContainerRefused
    from labs.sandbox.run import start_container

    client = CreatingClient(api_error(status, "invalid volume specification: '/'"), volumes={"/": {}, "/dados": {}})
    with pytest.raises(ContainerRefused if refused else PlatformError):
        start_container(as_client(client), image="img", limits=Limits(), labels={}, probe_busybox="/bin/busybox")
    # Every declared volume but "/" got a tmpfs; /tmp keeps its own.
    assert set(client.options["tmpfs"]) == {"/dados", "/tmp"}
