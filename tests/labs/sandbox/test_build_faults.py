"""How a build's failure is classified, with a fake daemon API (no Docker needed): the
learner's mistakes become verdicts, the platform's become platform faults."""

import pytest
import requests
import urllib3
from docker.errors import APIError

from labs.grading.ports import SandboxFault
from labs.grading.types import Limits
from labs.sandbox.build import BuildPolicy, run_build
from labs.sandbox.client import SandboxUnavailable
from labs.sandbox.docker_sandbox import DockerSandbox
from tests.labs.sandbox.fakes import as_client

FILES = {"Dockerfile": b"FROM scratch\n"}
STEPS = [
    {"stream": "Step 1/2 : FROM python:3.11-slim"},
    {"stream": "\n"},
    {"stream": " ---> 1234567890ab\n"},
    {"stream": "Step 2/2 : RUN pip install -r requirements.txt"},
    {"stream": "\n"},
    {"stream": " ---> Running in abcdef012345\n"},
    {"stream": "Collecting flask\n"},
]


def api_error(status: int, text: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(text, response=response, explanation=text)


class FakeResponse:
    def close(self):
        pass


class FakeAPI:
    """The daemon's build endpoint as run_build calls it (POST /build, then the stream)."""

    def __init__(self, chunks, *, fail_with=None, raise_at_call=None):
        self.chunks, self.fail_with, self.raise_at_call = chunks, fail_with, raise_at_call
        self.removed: list[str] = []
        self.build_params = {}

    def _url(self, path, *args):
        return path.format(*args)

    def _post(self, url, *, data, params, headers, stream, timeout):
        assert url == "/build" and stream and headers == {"Content-Type": "application/tar"}
        self.build_params = params
        if self.raise_at_call:
            raise self.raise_at_call
        return FakeResponse()

    def _stream_helper(self, response, *, decode):
        assert decode

        def stream():
            yield from self.chunks
            if self.fail_with:
                raise self.fail_with

        return stream()

    def remove_container(self, cid, **kwargs):
        self.removed.append(cid)

    def containers(self, **kwargs):
        return []

    def inspect_image(self, image):
        return {"Id": f"sha256:{image}", "Size": 0, "Parent": ""}


class FakeClient:
    def __init__(self, api):
        self.api = api


def build(api, **limits):
    return run_build(as_client(FakeClient(api)), files=FILES, tag="t", limits=Limits(**limits), labels={"k": "v"})


def test_build_call_is_hardened():
    api = FakeAPI([*STEPS, {"aux": {"ID": "sha256:abc"}}, {"stream": "Successfully built abc\n"}])
    outcome = build(api, memory_mb=256, cpus=0.5)
    assert outcome.ok and outcome.image_id == "sha256:abc"
    params = api.build_params
    assert (params["networkmode"], params["pull"], params["rm"], params["forcerm"]) == ("none", "0", "1", "1")
    assert (params["memory"], params["memswap"], params["cpushares"]) == (256 * 2**20, 256 * 2**20, 512)
    # A CPU quota of its own: half a core is 50 ms of every 100 ms.
    assert (params["cpuperiod"], params["cpuquota"]) == (100_000, 50_000)
    assert api.removed == []  # a clean build leaves nothing to remove


def test_the_build_runs_inside_the_gradings_slot_cgroup():
    api = FakeAPI([*STEPS, {"aux": {"ID": "sha256:abc"}}])
    run_build(
        as_client(FakeClient(api)),
        files=FILES,
        tag="t",
        limits=Limits(),
        labels={},
        policy=BuildPolicy(cgroup_parent="/estaleiro/slot-id"),
    )
    assert api.build_params["cgroupparent"] == "/estaleiro/slot-id"


def test_connection_lost_mid_build_is_a_platform_fault():
    api = FakeAPI(STEPS, fail_with=urllib3.exceptions.ProtocolError("Connection broken"))
    outcome = build(api)
    assert not outcome.ok and outcome.platform_fault and outcome.error_id == "sandbox.build_platform"
    assert outcome.failing_step == "Step 2/2 : RUN pip install -r requirements.txt"
    assert api.removed == ["abcdef012345"]


def test_daemon_unreachable_is_a_platform_fault():
    outcome = build(FakeAPI([], raise_at_call=requests.exceptions.ConnectionError("refused")))
    assert outcome.platform_fault and outcome.error_id == "sandbox.build_platform"


@pytest.mark.parametrize(
    "status, platform, message_id",
    [
        (400, False, "sandbox.build_rejected"),
        (500, True, "sandbox.build_platform"),
    ],
)
def test_refusal_before_any_step(status, platform, message_id):
    outcome = build(FakeAPI([], fail_with=api_error(status, "dockerfile parse error line 2")))
    assert (outcome.platform_fault, outcome.error_id) == (platform, message_id)


@pytest.mark.parametrize(
    "error, log, message_id",
    [
        # Text never makes a platform fault: each of these may quote the learner's own command,
        # file name or output. Only what the sandbox observes (daemon gone, disk full) does.
        ("failed to register layer: write /x: no space left on device", "", "sandbox.build_error"),
        (
            "The command '/bin/sh -c pip install' returned a non-zero code: 1",
            "OSError: [Errno 28] No space left on device\n",
            "sandbox.build_command_failed",
        ),
        (
            "The command '/bin/sh -c echo no space left on device; exit 1' returned a non-zero code: 1",
            "",
            "sandbox.build_command_failed",
        ),
        (
            "COPY failed: file not found in build context or excluded by .dockerignore: stat no space left on device: "
            "file does not exist",
            "",
            "sandbox.build_error",
        ),
        ("The command '/bin/sh -c pip install' returned a non-zero code: 137", "", "sandbox.build_killed"),
        ("COPY failed: file not found in build context", "", "sandbox.build_error"),
        ("pull access denied for flask-base, repository does not exist", "", "sandbox.build_image_missing"),
    ],
)
def test_error_detail_words_the_learners_failure(error, log, message_id):
    chunks = [*STEPS, {"stream": log}, {"errorDetail": {"message": error}, "error": error}]
    outcome = build(FakeAPI(chunks))
    assert (outcome.platform_fault, outcome.error_id) == (False, message_id)
    assert error in outcome.log
    assert api_removed_step(chunks)


def api_removed_step(chunks) -> bool:
    api = FakeAPI(chunks)
    build(api)
    return api.removed == ["abcdef012345"]


def test_on_log_failure_still_cleans_up():
    api = FakeAPI(STEPS)

    def explode(text):
        if "Collecting" in text:
            raise RuntimeError("database is down")

    with pytest.raises(RuntimeError):
        run_build(as_client(FakeClient(api)), files=FILES, tag="t", limits=Limits(), labels={}, on_log=explode)
    assert api.removed == ["abcdef012345"]


def test_unreachable_daemon_raises_a_sandbox_fault(tmp_path):
    sandbox = DockerSandbox(f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(SandboxUnavailable) as caught:
        sandbox.build(files=FILES, tag="t", limits=Limits(), labels={})
    assert isinstance(caught.value, SandboxFault)
