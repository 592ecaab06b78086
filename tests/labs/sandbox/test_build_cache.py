"""The build cache's least-recently-used trim: against a fake daemon API for the rules, and
once against the real sandbox daemon to see evicted steps really rebuilt, kept ones hit."""

import hashlib
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

import pytest
import requests
from django.conf import settings
from docker.errors import APIError, NotFound

from labs.grading.types import Limits
from labs.sandbox.build import run_build
from labs.sandbox.build_cache import BuildCacheUsage, build_cache_trim, daemon_usage_key, short_id
from labs.sandbox.docker_sandbox import DockerSandbox
from tests.labs.sandbox.fakes import as_client

BASE_LABELS = {"estaleiro.base.key": "k1", "estaleiro.wheelhouse.key": "w1"}


NAMES: dict[str, str] = {}


def image_id(name: str) -> str:
    """A full image id for a readable name (and back, through NAMES)."""
    full = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
    NAMES[full] = name
    return full


def api_error(status: int, text: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(text, response=response, explanation=text)


class FakeAPI:
    """images/containers/remove_image as the daemon answers them; refuses, like the daemon,
    to remove an image that still has children."""

    def __init__(
        self, images: list[dict[str, Any]], *, containers: Iterable[dict[str, Any]] = (), conflict=(), missing=()
    ):
        self._images = {i["Id"]: i for i in images}
        self._containers = list(containers)
        self.conflict, self.missing = {image_id(n) for n in conflict}, {image_id(n) for n in missing}
        self.removed: list[str] = []
        self.calls: list[tuple[str, dict]] = []

    def images(self, **kwargs):
        assert kwargs.get("all") is True
        return list(self._images.values())

    def containers(self, **kwargs):
        return self._containers

    def info(self):
        return {"ID": "AAAA:BBBB", "DockerRootDir": "/var/lib/estaleiro-docker/100000.100000"}

    def remove_image(self, image, **kwargs):
        self.calls.append((image, kwargs))
        if image in self.conflict:
            raise api_error(409, "conflict: unable to delete (cannot be forced) - image is used by a running container")
        if image in self.missing:
            self._images.pop(image, None)
            raise NotFound("No such image")
        if any(i.get("ParentId") == image for i in self._images.values()):
            raise api_error(409, "conflict: unable to delete (cannot be forced) - image has dependent child images")
        del self._images[image]
        self.removed.append(image)


class FakeClient:
    def __init__(self, api):
        self.api = api

    def close(self):
        pass


def img(name, parent=None, *, size, created, tags=None, labels=None, digests=None) -> dict:
    return {
        "Id": image_id(name),
        "ParentId": image_id(parent) if parent else "",
        "Size": size,
        "Created": created,
        "RepoTags": tags if tags is not None else ["<none>:<none>"],
        "RepoDigests": digests,
        "Labels": labels,
        "Containers": -1,
    }


def names(api: FakeAPI) -> list[str]:
    return [NAMES[i] for i in api.removed]


def two_chains() -> list[dict]:
    """base (tagged, 100) <- a1 <- a2 (old) and base <- b1 <- b2 (newer); 10 bytes each."""
    return [
        img("base", size=100, created=1, tags=["python:3.11-slim"], labels=BASE_LABELS),
        img("a1", "base", size=110, created=10, labels=BASE_LABELS),
        img("a2", "a1", size=120, created=11, labels=BASE_LABELS),
        img("b1", "base", size=110, created=20, labels=BASE_LABELS),
        img("b2", "b1", size=120, created=21, labels=BASE_LABELS),
    ]


def trim(api, **kwargs):
    return build_cache_trim(as_client(FakeClient(api)), now=1000.0, **kwargs)


def test_least_recently_used_chain_goes_first_leaf_then_parent():
    api = FakeAPI(two_chains())
    counts = trim(api, max_bytes=25)
    # a2 first (oldest leaf), then a1, which only became a leaf when a2 went; then under budget.
    assert names(api) == ["a2", "a1"]
    assert counts["removed"] == 2 and counts["freed_bytes"] == 20
    assert (counts["cache_bytes_before"], counts["cache_bytes_after"]) == (40, 20)
    assert all(kw == {"force": False, "noprune": True} for _, kw in api.calls)


def test_recorded_use_beats_creation_time():
    api = FakeAPI(two_chains())
    # a2 was hit by a build long after b2 was made: b's chain is now the least recently used.
    trim(api, max_bytes=25, used_at={short_id(image_id("a2")): 500.0})
    assert names(api) == ["b2", "b1"]


def test_only_leaves_go_and_a_shared_parent_waits_for_all_its_children():
    api = FakeAPI(
        [
            img("base", size=100, created=1, tags=["python:3.11-slim"]),
            img("p", "base", size=150, created=5),
            img("c1", "p", size=160, created=6),
            img("c2", "p", size=170, created=30),
        ]
    )
    counts = trim(api, max_bytes=0)
    assert names(api) == ["c1", "c2", "p"]
    assert counts["skipped"] == 0  # never asked the daemon to remove an image with children
    assert counts["cache_bytes_before"] == 50 + 10 + 20 and counts["cache_bytes_after"] == 0


def test_tagged_images_and_what_they_stand_on_are_never_touched():
    api = FakeAPI(
        [
            img("root", size=100, created=1, tags=["estaleiro/root:k1"], labels={"estaleiro.base.key": "k1"}),
            img("copy", "root", size=200, created=2, labels={"estaleiro.base.key": "k1"}),
            img("wheel", "copy", size=210, created=3, tags=["python:3.11-slim"], labels=BASE_LABELS),
            # Built on the base, so it has the base's labels (and a LABEL step could forge
            # them): cache all the same.
            img("learner", "wheel", size=260, created=4, labels=BASE_LABELS),
            img("under", "root", size=150, created=2),
            img("tagged", "under", size=170, created=3, tags=["estaleiro-lab/starter:latest"]),
            img("pulled", size=90, created=1, tags=[], digests=["python@sha256:" + "1" * 64]),
        ]
    )
    counts = trim(api, max_bytes=0)
    assert names(api) == ["learner"]
    assert counts["cache_bytes_before"] == 50 and counts["cache_bytes_after"] == 0
    assert {image for image, _ in api.calls} == {image_id("learner")}


def test_a_base_that_lost_its_tag_goes_once_nothing_stands_on_it():
    api = FakeAPI(
        [
            img("root", size=100, created=1, tags=["estaleiro/root:k1"], labels={"estaleiro.base.key": "k1"}),
            img("oldwheel", "root", size=210, created=2, labels=BASE_LABELS),  # untagged by a newer prepare
            img("learner", "oldwheel", size=260, created=3, labels=BASE_LABELS),
        ]
    )
    trim(api, max_bytes=0)
    assert names(api) == ["learner", "oldwheel"]


def test_a_conflict_is_skipped_and_the_next_leaf_goes():
    api = FakeAPI(two_chains(), conflict=["a2"])
    counts = trim(api, max_bytes=25)
    # a2 is in use (409): skipped, so a1 stays a middle link; b goes instead.
    assert names(api) == ["b2", "b1"]
    assert counts["skipped"] == 1 and counts["cache_bytes_after"] == 20


def test_an_image_used_by_a_container_is_not_even_tried():
    api = FakeAPI(two_chains(), containers=[{"Id": "c", "ImageID": image_id("a2")}])
    trim(api, max_bytes=25)
    assert names(api) == ["b2", "b1"]
    assert image_id("a2") not in {image for image, _ in api.calls}


def test_an_image_already_gone_counts_as_removed_and_frees_its_parent():
    api = FakeAPI(two_chains(), missing=["a2"])
    counts = trim(api, max_bytes=25)
    assert names(api) == ["a1"]
    assert counts["removed"] == 2 and counts["cache_bytes_after"] == 20


def test_nothing_goes_under_budget_and_fresh_images_are_spared():
    api = FakeAPI(two_chains())
    counts = trim(api, max_bytes=40)
    assert api.calls == [] and counts["removed"] == 0 and counts["cache_bytes_after"] == 40
    # Over budget, but every leaf was used in the last 990 s: a build may be using it.
    counts = trim(api, max_bytes=0, min_idle_seconds=990)
    assert api.calls == [] and counts["cache_bytes_after"] == 40


def test_use_records_of_images_gone_are_reported_stale():
    api = FakeAPI(two_chains())
    a2, b2 = short_id(image_id("a2")), short_id(image_id("b2"))
    counts = trim(api, max_bytes=25, used_at={"0123456789ab": 1.0, a2: 5.0, b2: 2.0})
    assert names(api) == ["a2", "a1"]
    assert counts["stale_ids"] == sorted(["0123456789ab", a2])


# -- recording use -------------------------------------------------------------------------------

RECORDED_STREAM = [  # what the sandbox daemon (engine 20.10) sent for a partly cached build
    "Step 1/4 : FROM python:3.11-slim",
    "\n",
    " ---> 296e83691b17\n",
    "Step 2/4 : RUN echo 9f54a57c0e9f > /tok",
    "\n",
    " ---> Using cache\n",
    " ---> c9c6028e9f64\n",
    "Step 3/4 : RUN echo ' ---> deadbeef0000' && printf no-newline",
    "\n",
    " ---> Running in bc62a1e3e2ae\n",
    " ---> deadbeef0000\n",
    "no-newline",
    "Removing intermediate container bc62a1e3e2ae\n",
    " ---> 0f656a480810\n",
    "Step 4/4 : ENV T=9f54a57c0e9f",
    "\n",
    " ---> Using cache\n",
    " ---> dd637e5bc597\n",
    "Successfully built dd637e5bc597\n",
    "Successfully tagged exp:x\n",
]


class StreamAPI:
    def __init__(self, chunks):
        self.chunks = chunks

    def _url(self, path, *args):
        return path

    def _post(self, url, **kwargs):
        return None

    def _stream_helper(self, response, *, decode):
        return iter(self.chunks)

    def inspect_image(self, image):
        return {"Id": f"sha256:{image}", "Size": 0, "Parent": ""}

    def containers(self, **kwargs):
        return []

    def remove_container(self, cid, **kwargs):
        pass


def test_the_build_reports_the_step_images_it_made_or_took_from_the_cache():
    chunks: list[dict[str, Any]] = [{"stream": text} for text in RECORDED_STREAM]
    chunks.insert(-2, {"aux": {"ID": "sha256:dd637e5bc597" + "0" * 52}})
    outcome = run_build(
        as_client(FakeClient(StreamAPI(chunks))),
        files={"Dockerfile": b"FROM python:3.11-slim\n"},
        tag="t",
        limits=Limits(),
        labels={},
    )
    assert outcome.ok
    # The RUN's own " ---> deadbeef0000" follows no builder line, so it is not a step image.
    assert outcome.step_images == ("296e83691b17", "c9c6028e9f64", "0f656a480810", "dd637e5bc597")
    # Of those, the build made only the third itself (the others were its base or cache hits):
    # the one a failed build would discard.
    assert outcome.created_images == ("0f656a480810",)


def test_a_failed_build_still_reports_the_steps_before_the_failure():
    chunks: list[dict[str, Any]] = [{"stream": text} for text in RECORDED_STREAM[:7]]
    chunks += [
        {"stream": "Step 3/4 : RUN false"},
        {"stream": "\n"},
        {"stream": " ---> Running in bc62a1e3e2ae\n"},
        {"errorDetail": {"code": 1, "message": "The command '/bin/sh -c false' returned a non-zero code: 1"}},
    ]
    outcome = run_build(
        as_client(FakeClient(StreamAPI(chunks))),
        files={"Dockerfile": b"FROM python:3.11-slim\n"},
        tag="t",
        limits=Limits(),
        labels={},
    )
    assert not outcome.ok and outcome.step_images == ("296e83691b17", "c9c6028e9f64")


def test_recording_use_never_fails_a_build_when_redis_is_down():
    sandbox = DockerSandbox("unix:///nowhere.sock", usage_url="redis://127.0.0.1:1/0")
    sandbox._client = as_client(FakeClient(FakeAPI([])))
    assert BuildCacheUsage("redis://127.0.0.1:1/0", key="k").record(["296e83691b17"]) is False
    sandbox._record_use(("296e83691b17",))  # logs, does not raise
    assert BuildCacheUsage("redis://127.0.0.1:1/0", key="k").load() == {}


def test_the_usage_key_names_the_daemon_not_its_address():
    first = daemon_usage_key(as_client(FakeClient(FakeAPI([]))))

    class OtherDaemon(FakeAPI):
        def info(self):
            return {"ID": "CCCC:DDDD", "DockerRootDir": "/var/lib/estaleiro-docker/100000.100000"}

    other = OtherDaemon([])
    assert first.startswith("estaleiro:build-cache-used:") and first != daemon_usage_key(as_client(FakeClient(other)))


@pytest.mark.redis
def test_use_times_round_trip_through_redis(redis_url):
    usage = BuildCacheUsage(redis_url, key=f"estaleiro:test-build-cache-used:{uuid.uuid4().hex}")
    try:
        assert usage.record(["sha256:" + "ab" * 32, "0123456789ab"], when=123.5)
        assert usage.load() == {"ab" * 6: 123.5, "0123456789ab": 123.5}
        usage.forget(["0123456789ab"])
        assert usage.load() == {"ab" * 6: 123.5}
    finally:
        usage.forget(["ab" * 6])


# -- against the real sandbox daemon ---------------------------------------------------------------


class ScopedClient:
    """The real daemon, listing only this test's images and the base they stand on: the
    daemon is shared, and a trim must not evict anyone else's cache."""

    def __init__(self, client, keep: set[str]):
        self.api = _ScopedAPI(client.api, keep)

    def close(self):
        pass  # the session's client is not ours to close


class _ScopedAPI:
    def __init__(self, api, keep):
        self._api, self._keep = api, keep

    def images(self, **kwargs):
        return [i for i in self._api.images(**kwargs) if short_id(i["Id"]) in self._keep]

    def __getattr__(self, name):
        return getattr(self._api, name)


@pytest.mark.docker
@pytest.mark.redis
def test_trim_evicts_the_least_recently_used_steps_on_the_real_daemon(sandbox_docker, labels, redis_url):
    try:
        base = sandbox_docker.api.inspect_image("python:3.11-slim")
    except NotFound:
        pytest.skip("python:3.11-slim is not in the sandbox (manage.py prepare_sandbox)")
    token = uuid.uuid4().hex[:16]
    usage = BuildCacheUsage(redis_url, key=f"estaleiro:test-build-cache-used:{token}")
    box = DockerSandbox(settings.SANDBOX_DOCKER_HOST, usage_url=redis_url)
    box._usage = usage  # a hash of its own: the daemon's real one is shared with everyone
    limits = Limits(build_seconds=30, memory_mb=128)
    files = {
        name: {"Dockerfile": f"FROM python:3.11-slim\nRUN echo {token}-{name} > /token\n".encode()}
        for name in ("a", "b")
    }
    run_images: set[str] = set()

    def build(name: str) -> str:
        tag = f"estaleiro-test/cache-{name}-{token}"
        outcome = box.build(files=files[name], tag=tag, limits=limits, labels=labels)
        try:
            assert outcome.ok, outcome.log[-800:]
            run_images.add(outcome.step_images[1])  # FROM, then the RUN, then the label steps
        finally:
            box.remove_image(tag)  # noprune: the RUN's image stays, as cache
        return outcome.log

    def run_step_cached(log: str) -> bool:
        return bool(re.search(r"^Step 2/\d+ : RUN [^\n]*\n ---> Using cache$", log, re.MULTILINE))

    try:
        started = time.monotonic()
        assert not run_step_cached(build("a")) and not run_step_cached(build("b"))
        a_run, b_run = sorted(run_images, key=lambda i: sandbox_docker.api.inspect_image(i)["Created"])
        # Made after a, but a is then used again: by use, b is the least recently used.
        assert run_step_cached(build("a"))
        assert set(usage.load()) >= {a_run, b_run}

        a_size = sandbox_docker.api.inspect_image(a_run)["Size"] - base["Size"]
        trimmer = DockerSandbox(settings.SANDBOX_DOCKER_HOST, usage_url="")
        trimmer._client = as_client(ScopedClient(sandbox_docker, {a_run, b_run, short_id(base["Id"])}))
        trimmer._usage = usage
        counts = trimmer.trim_build_cache(max_bytes=a_size, min_idle_seconds=0)
        assert counts["removed"] == 1 and counts["cache_bytes_after"] == a_size, counts
        with pytest.raises(NotFound):
            sandbox_docker.api.inspect_image(b_run)
        assert b_run not in usage.load()  # forgotten along with the image

        assert run_step_cached(build("a"))
        assert not run_step_cached(build("b"))
        assert time.monotonic() - started < 30
    finally:
        for image in run_images:
            try:
                sandbox_docker.api.remove_image(image, noprune=True)
            except APIError:
                pass
        usage.forget(list(usage.load()))
        box.close()


def test_the_janitor_trims_the_cache_to_the_configured_budget(settings, monkeypatch):
    from labs import worker

    seen = {}
    monkeypatch.setattr(DockerSandbox, "janitor", lambda self, **kw: {"containers": 0, "images": 0})
    monkeypatch.setattr(DockerSandbox, "trim_build_cache", lambda self, **kw: seen.update(kw) or {"removed": 0})
    settings.SANDBOX_BUILD_CACHE_MB = 7
    counts = worker.sandbox_janitor(force=True)
    assert seen == {"max_bytes": 7 * 1024 * 1024}
    assert counts["build_cache"] == {"removed": 0}
