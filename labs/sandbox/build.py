"""Building a learner's context with the legacy builder, within the grading's budget.

Why the low-level API: `images.build()` buffers the whole log in memory before returning,
so a `RUN yes` would exhaust the worker. Here the stream is read chunk by chunk, its bytes
are counted, and a watchdog thread cuts the connection when the wall clock runs out.
Cutting the connection makes the daemon cancel the build (it kills and removes the step's
container itself); we then force-remove the step containers we saw, in case it did not.

The request is made by hand (docker-py's `build()` knows neither `cgroupparent` nor
`cpuquota`): every step container is created inside the grading's slot cgroup (see
slot.py), with a CPU quota and a memory cap of its own.

Two guards run while the build streams, both deciding from what the daemon itself reports:
- `StepGuard`, the second line behind the static gate: each FROM must land on an allowed
  base image *by ID* (or on an earlier stage of the same build), and each `--from` must name
  an earlier stage or an allowed base. A build that names anything else (another learner's
  image, an image by ID prefix) is stopped before another byte of its log is read.
- `DiskWatch`: what the build wrote (its new layers plus the running step's writable layer)
  stays within the lab's disk budget; past it the step is killed and the learner told why.

A platform fault is decided from what the platform observed (the daemon's answer and its
health, the filesystem's free space), never from text the learner controls: a RUN that
prints "no space left on device" and fails is the learner's failure.
"""

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import docker
import requests
import urllib3
from docker.errors import APIError, NotFound
from docker.types.daemon import CancellableStream

from labs.grading.types import BuildOutcome, Limits

from .context import make_tar
from .faults import api_error_text
from .slot import DiskRoom

MIB = 1024 * 1024
# After the wall clock, how long we wait for the daemon to finish removing step containers.
REMOVAL_WAIT_SECONDS = 15
CPU_PERIOD_US = 100_000
# Whole daemon messages, each its own chunk of the stream (learners' output comes in other
# chunks, so it can add look-alike records but never hide a real one).
_STEP_CHUNK = re.compile(r"^Step (\d+)/(\d+) : ([^\n]*)$")
_IMAGE_CHUNK = re.compile(r"^ ---> ([0-9a-f]{12,64})?\s*$")
_RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})\s*$")
_USING_CACHE = re.compile(r"^ ---> Using cache\s*$")
_REMOVING = re.compile(r"^Removing intermediate container [0-9a-f]{12,64}\s*$")
_FLAG = re.compile(r"--([A-Za-z-]+)=(\S*)")
MAX_STEP_IMAGES = 512
# How often a running step's effect on the filesystem's free files is looked at.
FILES_LOOK_SECONDS = 2.0
_NONZERO = re.compile(r"^The command .* returned a non-zero code: (\d+)$", re.DOTALL)
_PULL_ATTEMPT = re.compile(
    r"pull access denied|registry-1\.docker\.io|manifest unknown|dial tcp|repository does not exist", re.IGNORECASE
)


@dataclass
class BuildPolicy:
    """What the daemon-side guards of one build need to know."""

    # Full IDs (sha256:...) of the images the lab allows as bases, as present in the daemon.
    allowed_ids: frozenset[str] = frozenset()
    allowed_names: tuple[str, ...] = ()
    allow_scratch: bool = False
    # The grading slot's cgroup: every step container is created inside it.
    cgroup_parent: str | None = None
    # How to resolve an image reference to its full ID (None: not present).
    resolve: Callable[[str], str | None] | None = None
    # The filesystem's room, as the slot sees it, and the free files when the grading
    # began (the flood-of-empty-files watch compares).
    room: Callable[[], DiskRoom | None] | None = None
    start_files: int | None = None


class BuildAPI(Protocol):
    """What a build asks of docker's APIClient: its public calls, and the request helpers
    docker-py's own build() is made of (see the module's docstring)."""

    def _url(self, pathfmt: str, *args: str) -> str: ...
    def _post(
        self,
        url: str,
        *,
        data: bytes,
        params: dict[str, str | int],
        headers: dict[str, str],
        stream: bool,
        timeout: int,
    ) -> requests.Response: ...
    def _get(self, url: str, *, stream: bool, timeout: int) -> requests.Response: ...
    def _stream_helper(self, response: requests.Response, *, decode: bool) -> Iterator[Any]: ...
    def containers(self, *, all: bool, filters: dict[str, str], size: bool = False) -> list[dict[str, Any]]: ...
    def inspect_image(self, image: str) -> dict[str, Any]: ...
    def inspect_container(self, container: str) -> dict[str, Any]: ...
    def kill(self, container: str) -> None: ...
    def remove_container(self, container: str, *, force: bool, v: bool) -> None: ...


class _Watchdog:
    """Closes the build's HTTP response when the wall clock runs out (or when asked)."""

    def __init__(self, seconds: float):
        self.fired = threading.Event()  # the wall clock ran out
        self.cut_short = threading.Event()  # another guard stopped the build
        self.done = threading.Event()
        self.response: requests.Response | None = None
        self._timer = threading.Timer(seconds, self.cancel)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self.fired.set()
        # Until the daemon answers with headers there is nothing to close yet; keep trying.
        while self.response is None and not self.done.is_set():
            time.sleep(0.1)
        self.close()

    def cut(self) -> None:
        self.cut_short.set()
        self.close()

    @property
    def stopped(self) -> bool:
        return self.fired.is_set() or self.cut_short.is_set()

    def close(self) -> None:
        if self.response is None:
            return
        try:
            CancellableStream(None, self.response).close()  # type: ignore[arg-type]  # close() reads only the response
        except Exception:  # noqa: BLE001 - already closed or half-closed: both fine
            pass
        try:
            self.response.close()
        except Exception:  # noqa: BLE001
            pass

    def stop(self) -> None:
        self.done.set()
        self._timer.cancel()


class _Log:
    """The build log, capped at `limit` bytes."""

    def __init__(self, limit: int, on_log: Callable[[str], None] | None):
        self.limit, self.on_log = limit, on_log
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, text: str) -> bool:
        """Record text; False once the cap is passed (the caller then stops reading)."""
        data = text.encode("utf-8", "replace")
        if self.size + len(data) > self.limit:
            keep = data[: max(0, self.limit - self.size)].decode("utf-8", "ignore")
            self.truncated = True
            self._record(keep)
            return False
        self._record(text)
        return True

    def _record(self, text: str) -> None:
        if not text:
            return
        self.size += len(text.encode("utf-8", "replace"))
        self.parts.append(text)
        if self.on_log is not None:
            self.on_log(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Steps:
    """What the daemon's own messages say about the build's steps and images."""

    last_step: str = ""
    container_ids: list[str] = field(default_factory=list)
    # Ordered, without repeats: every image the steps made or took from the cache (for the
    # least-recently-used trim) and those this build made itself (removed if it fails).
    step_images: dict[str, None] = field(default_factory=dict)
    created_images: dict[str, None] = field(default_factory=dict)
    _previous: str = ""

    def see(self, chunk: str) -> tuple[str, str]:
        """("running", container id), ("created", image id), or ("", "") for anything else."""
        previous = self._previous
        if chunk.strip():  # the daemon ends each step line with a chunk of its own: "\n"
            self._previous = chunk
        if _STEP_CHUNK.match(chunk):
            self.last_step = chunk.strip()
        elif match := _RUNNING_IN.match(chunk):
            self.container_ids.append(match[1])
            return "running", match[1]
        elif (match := _IMAGE_CHUNK.match(chunk)) and match[1] and len(self.step_images) < MAX_STEP_IMAGES:
            # A step's image follows its step line (FROM, and COPY/ADD which run no
            # container), "Using cache" (a cache hit) or the removal of its step container
            # (a new image). A RUN can print look-alikes, but not right after those lines.
            step = _STEP_CHUNK.match(previous)
            made = bool(_REMOVING.match(previous) or (step and _instruction(step[3]) != "FROM"))
            if not (made or step or _USING_CACHE.match(previous)):
                return "", ""
            short = match[1][:12]
            self.step_images[short] = None
            if made:
                self.created_images[short] = None
                return "created", short
        return "", ""


def _instruction(text: str) -> str:
    words = text.split(maxsplit=1)
    return words[0].upper() if words else ""


class StepGuard:
    """The second line behind the gate: checks each FROM and --from as the daemon reports it.

    The daemon prints every instruction as it parsed it ("Step 3/7 : COPY --from=x /a /b")
    and, after a FROM, the ID of the image it resolved (" ---> 9ca49ce9ae7a"); each stage's
    result comes as an `aux` message learners cannot print. Learners' RUN output can only add
    look-alike records (which at worst stop their own build), never hide a real one."""

    def __init__(self, policy: BuildPolicy):
        self.policy = policy
        self.allowed_short = {image_id.removeprefix("sha256:")[:12] for image_id in policy.allowed_ids}
        self.stage_results: set[str] = set()
        self.stage_names: list[str] = []
        self.stages = 0
        self.pending_from = ""  # the FROM step whose image line comes next
        self.violation = ""  # the step that broke the rules

    def see(self, chunk: str) -> bool:
        """False when the build must stop here."""
        if self.pending_from and (match := _IMAGE_CHUNK.match(chunk)):
            step, self.pending_from = self.pending_from, ""
            image = (match[1] or "")[:12]
            allowed = (
                image in self.allowed_short or image in self.stage_results or (not image and self.policy.allow_scratch)
            )
            if not allowed:
                self.violation = step
                return False
            return True
        match = _STEP_CHUNK.match(chunk)
        if not match:
            return True
        words = match[3].split()
        name = _instruction(match[3])
        if name == "FROM":
            self.pending_from = chunk.strip()
            rest = [w for w in words[1:] if not w.startswith("--")]
            if len(rest) >= 3 and rest[1].lower() == "as":
                self.stage_names.append(rest[2].lower())
            self.stages += 1
        elif name in ("COPY", "ADD"):
            for flag, value in _FLAG.findall(" ".join(w for w in words[1:] if w.startswith("--"))):
                if flag == "from" and not self._from_allowed(value):
                    self.violation = chunk.strip()
                    return False
        return True

    def see_stage_result(self, image_id: str) -> None:
        self.stage_results.add(image_id.removeprefix("sha256:")[:12])

    def _from_allowed(self, value: str) -> bool:
        if value.lower() in self.stage_names or (value.isdigit() and int(value) < self.stages - 1):
            return True
        full = self.policy.resolve(value) if self.policy.resolve is not None else None
        # Not present at all: the daemon will fail to find it (it cannot pull: no network).
        return full is None or full in self.policy.allowed_ids


class DiskWatch:
    """Keeps one build within its disk budget while it runs.

    Usage = the layers this build made so far + the writable layer of the step running now
    (the daemon's SizeRw). Polled every quarter to half second, depending on how long
    measuring takes (walking a large writable layer). Files are counted (a flood of empty
    files exhausts inodes, not bytes) only when the filesystem's free files drop, as the
    grading slot reports them."""

    def __init__(
        self,
        api: BuildAPI,
        *,
        limit_bytes: int,
        limit_files: int,
        room: Callable[[], DiskRoom | None] | None,
        start_files: int | None,
        on_exceeded: Callable[[], None],
    ):
        self._api = api
        self.limit_bytes, self.limit_files = limit_bytes, limit_files
        self._room = room
        self._on_exceeded = on_exceeded
        self._lock = threading.Lock()
        self._container = ""
        self._checked = ""  # the step container whose mounts were looked at
        self._room_at = time.monotonic()
        # A step with a volume (the image declares VOLUME) writes part of its data outside
        # its writable layer, where SizeRw does not see it: for such a step the drop of the
        # filesystem's free space since the step began counts instead, if larger.
        self._volume_free_at_start: int | None = None
        self._new_images: list[str] = []
        self._sizes: dict[str, int] = {}
        self.committed = 0
        self.used = 0
        self.exceeded = ""  # "bytes" or "files"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="build-disk-watch", daemon=True)
        self._start_files = start_files

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def step_container(self, container_id: str) -> None:
        with self._lock:
            self._container = container_id

    def new_image(self, short_id: str) -> None:
        with self._lock:
            self._container = ""
            self._new_images.append(short_id)

    def _safe_room(self) -> DiskRoom | None:
        try:
            return self._room() if self._room else None
        except Exception:  # noqa: BLE001 - an unanswered probe is no measurement, not a fault
            return None

    def _loop(self) -> None:
        pause = 0.25
        while not self._stop.wait(pause):
            started = time.monotonic()
            try:
                self._measure()
            except Exception:  # noqa: BLE001 - the step ended between two calls: measure again
                pass
            if self.exceeded:
                self._on_exceeded()
                return
            # Measuring walks the step's writable layer: slow it down when that is slow, but
            # never below two looks a second (a dd writes ~250 MB/s here).
            pause = min(0.5, max(0.25, 2 * (time.monotonic() - started)))

    def _measure(self) -> None:
        with self._lock:
            images, self._new_images = self._new_images, []
            container = self._container
        for short in images:
            self.committed += self._layer_size(short)
        running, room = 0, None
        if container:
            if container != self._checked:
                self._checked, self._volume_free_at_start = container, None
                mounts = self._api.inspect_container(container).get("Mounts") or []
                if any(mount.get("Type") == "volume" for mount in mounts):
                    room = self._safe_room()
                    self._volume_free_at_start = room.free_bytes if room else None
            listed = self._api.containers(all=True, filters={"id": container}, size=True)
            running = int((listed[0].get("SizeRw") or 0) if listed else 0)
            # The filesystem's room: every look for a step with a volume, else every few
            # seconds (an exec in the slot each time), for the flood-of-files watch.
            due = self._volume_free_at_start is not None or time.monotonic() - self._room_at > FILES_LOOK_SECONDS
            if due and room is None:
                room = self._safe_room()
                self._room_at = time.monotonic()
            if room and self._volume_free_at_start is not None:
                running = max(running, self._volume_free_at_start - room.free_bytes)
        self.used = self.committed + running
        if self.used > self.limit_bytes:
            self._kill(container, "bytes")
            return
        if (
            room
            and self._start_files is not None
            and self._start_files - room.free_files > self.limit_files // 2
            and self._count_files(container) > self.limit_files
        ):
            self._kill(container, "files")

    def _layer_size(self, short_id: str) -> int:
        info = self._api.inspect_image(short_id)
        size = int(info.get("Size") or 0)
        self._sizes[info["Id"]] = size
        parent = info.get("Parent") or ""
        if parent and parent not in self._sizes:
            self._sizes[parent] = int(self._api.inspect_image(parent).get("Size") or 0)
        return max(0, size - self._sizes.get(parent, 0))

    def _count_files(self, container: str) -> int:
        """Changed paths of the step's writable layer, counted as the daemon streams them,
        stopping one past the limit (the full list could be huge)."""
        response = self._api._get(self._api._url("/containers/{0}/changes", container), stream=True, timeout=30)  # noqa: SLF001
        try:
            if response.status_code != 200:
                return 0
            count = 0
            for piece in response.iter_content(chunk_size=65536):
                count += piece.count(b'"Path"')
                if count > self.limit_files:
                    break
            return count
        finally:
            response.close()

    def _kill(self, container: str, what: str) -> None:
        # The stream is cut by the caller (on_exceeded); the step is killed here at once, so
        # it writes nothing more while the daemon notices the cancelled build.
        self.exceeded = what
        if container:
            try:
                self._api.kill(container)
            except (APIError, requests.exceptions.RequestException):
                pass  # already gone: the build stops anyway


def _start_build(
    api: BuildAPI,
    *,
    context: bytes,
    tag: str,
    labels: dict[str, str],
    limits: Limits,
    cgroup_parent: str | None,
    timeout: int,
) -> tuple[requests.Response, Iterator[Any]]:
    """POST /build, as docker-py's build() does, with the limits it cannot pass."""
    memory = limits.memory_mb * MIB
    params: dict[str, str | int] = {
        "t": tag,
        "q": "0",
        "nocache": "0",
        "rm": "1",
        "forcerm": "1",
        "pull": "0",
        "networkmode": "none",
        "memory": memory,
        "memswap": memory,
        "cpushares": max(2, int(1024 * limits.cpus)),
        "cpuperiod": CPU_PERIOD_US,
        "cpuquota": max(1000, int(CPU_PERIOD_US * limits.cpus)),
    }
    if labels:
        params["labels"] = json.dumps(labels)
    if cgroup_parent:
        params["cgroupparent"] = cgroup_parent
    # The docker SDK's own request helpers (see the module's docstring).
    response = api._post(  # noqa: SLF001
        api._url("/build"),  # noqa: SLF001
        data=context,
        params=params,
        headers={"Content-Type": "application/tar"},
        stream=True,
        timeout=timeout,
    )
    return response, api._stream_helper(response, decode=True)  # noqa: SLF001


def run_build(
    client: docker.DockerClient,
    *,
    files: dict[str, bytes],
    tag: str,
    limits: Limits,
    labels: dict[str, str],
    on_log: Callable[[str], None] | None = None,
    policy: BuildPolicy | None = None,
) -> BuildOutcome:
    started = time.monotonic()
    policy = policy or BuildPolicy()
    context = make_tar(files)
    log = _Log(limits.log_bytes, on_log)
    steps = _Steps()
    guard = StepGuard(policy) if policy.resolve is not None else None
    image_id, error, early = "", None, None
    stopped_for_log = ended = False
    # The stubs leave out the request helpers build.py uses; the object is docker's APIClient.
    api = cast(BuildAPI, client.api)
    watchdog = _Watchdog(limits.build_seconds)
    disk = DiskWatch(
        api,
        limit_bytes=limits.disk_mb * MIB,
        limit_files=limits.disk_files,
        room=policy.room,
        start_files=policy.start_files,
        on_exceeded=watchdog.cut,
    )
    # Started before the request: uploading the context and waiting for the daemon count too.
    watchdog.start()
    disk.start()
    try:
        try:
            # Backstop only: the watchdog ends the build first.
            response, stream = _start_build(
                api,
                context=context,
                tag=tag,
                labels=labels,
                limits=limits,
                cgroup_parent=policy.cgroup_parent,
                timeout=limits.build_seconds + 30,
            )
            watchdog.response = response
            for chunk in _chunks(stream, watchdog):
                if "errorDetail" in chunk or "error" in chunk:
                    detail = chunk.get("errorDetail") or {}
                    error = str(detail.get("message") or chunk.get("error") or "unknown error")
                    log.add(error.rstrip("\n") + "\n")
                    break
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = aux["ID"]
                    if guard is not None:
                        guard.see_stage_result(image_id)
                text = chunk.get("stream")
                if not isinstance(text, str):
                    continue
                if guard is not None and not guard.see(text):
                    break  # nothing of this step on is read, nor shown
                event, ident = steps.see(text)
                if event == "running":
                    disk.step_container(ident)
                elif event == "created":
                    disk.new_image(ident)
                if not log.add(text):
                    stopped_for_log = True
                    break
            else:
                ended = True
        except APIError as exc:
            # Refused before any step ran. The status says whose: 4xx is the Dockerfile (parse
            # error, empty file), 5xx the daemon.
            detail = api_error_text(exc)
            if (exc.status_code or 500) < 500:
                early = ("sandbox.build_rejected", {"detail": detail[:500]}, False)
            else:
                early = ("sandbox.build_platform", {"detail": detail[:500]}, True)
        except (_StreamBroken, requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if not watchdog.stopped:
                early = ("sandbox.build_platform", {"detail": f"sandbox daemon unreachable or gone: {exc}"}, True)
    finally:
        # Whatever happened (even on_log raising), stop the timer and the disk watch, let go
        # of the connection (the daemon cancels an unfinished build when it closes) and
        # remove the step containers.
        watchdog.stop()
        disk.stop()
        watchdog.close()
        if not (ended and image_id) and steps.container_ids:
            _remove_step_containers(api, steps.container_ids)

    def failed(
        error_id: str, params: dict[str, Any], *, platform: bool = False, rejected: bool = False
    ) -> BuildOutcome:
        return BuildOutcome(
            ok=False,
            log=log.text,
            log_truncated=log.truncated,
            error_id=error_id,
            error_params=params,
            failing_step=steps.last_step,
            platform_fault=platform,
            rejected=rejected,
            seconds=time.monotonic() - started,
            step_images=tuple(steps.step_images),
            created_images=tuple(steps.created_images),
            disk_used_bytes=disk.used,
        )

    if guard is not None and guard.violation:
        return failed(
            "sandbox.build_image_not_allowed",
            {"step": guard.violation[:300], "allowed": ", ".join(policy.allowed_names) or "-"},
            rejected=True,
        )
    if disk.exceeded:
        if disk.exceeded == "files":
            return failed("sandbox.build_files_limit", {"limit": limits.disk_files})
        return failed("sandbox.build_disk_limit", {"used_mb": disk.used // MIB, "limit_mb": limits.disk_mb})
    if watchdog.fired.is_set() and not (ended and image_id):
        return failed("sandbox.build_timeout", {"seconds": limits.build_seconds})
    if early is not None:
        return failed(early[0], early[1], platform=early[2])
    if stopped_for_log:
        return failed("sandbox.build_log_limit", {"max_kb": limits.log_bytes // 1000})
    if error is not None:
        return failed(*_classify_error(error, limits))
    if not image_id:
        image_id = _image_id_from_log(log.text)
    if not image_id:
        return failed(
            "sandbox.build_platform", {"detail": "the build stream ended without an image or an error"}, platform=True
        )
    return BuildOutcome(
        ok=True,
        image_id=image_id,
        log=log.text,
        log_truncated=log.truncated,
        seconds=time.monotonic() - started,
        step_images=tuple(steps.step_images),
        created_images=tuple(steps.created_images),
        disk_used_bytes=disk.used,
    )


class _StreamBroken(Exception):
    pass


def _chunks(stream: Iterator[Any], watchdog: _Watchdog) -> Iterator[dict[str, Any]]:
    """The decoded stream; a read cut by the watchdog ends it quietly, any other broken read
    is reported as _StreamBroken (the daemon went away mid-build)."""
    while True:
        try:
            chunk = next(stream)
        except StopIteration:
            return
        except APIError:
            raise  # an HTTPError too, but it is the daemon's answer, not a broken stream
        except Exception as exc:
            # Closing the socket under a reading thread surfaces as anything from
            # ProtocolError to ValueError or AttributeError deep in http.client.
            if watchdog.stopped:
                return
            raise _StreamBroken(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(chunk, dict):
            yield chunk


def _classify_error(error: str, limits: Limits) -> tuple[str, dict[str, Any]]:
    """The learner's failure, worded by what the daemon said. Whether the platform is to
    blame instead (daemon gone, filesystem full) is decided by the sandbox from what it
    observes after the build, never from this text, which may quote the learner's."""
    if match := _NONZERO.match(error.strip()):
        code = int(match.group(1))
        if code == 137:
            return "sandbox.build_killed", {"code": code, "memory_mb": limits.memory_mb}
        return "sandbox.build_command_failed", {"code": code}
    if _PULL_ATTEMPT.search(error):
        return "sandbox.build_image_missing", {}
    return "sandbox.build_error", {"detail": error[:500]}


def _image_id_from_log(text: str) -> str:
    # Older daemons do not send the aux message; the last line then names the image.
    for line in reversed(text.splitlines()[-5:]):
        if line.startswith("Successfully built "):
            return line.split()[-1]
    return ""


def _remove_step_containers(api: BuildAPI, container_ids: list[str]) -> None:
    """Force-remove the containers this build's steps ran in, then wait until the daemon
    really has: a cancelled step is being removed by the daemon at the same time (409)."""
    pending = []
    for cid in dict.fromkeys(container_ids):
        try:
            api.remove_container(cid, force=True, v=True)
        except NotFound:
            continue
        except (APIError, requests.exceptions.RequestException):
            pending.append(cid)  # removal already in progress, or the daemon is busy
            continue
        pending.append(cid)
    deadline = time.monotonic() + REMOVAL_WAIT_SECONDS
    while pending and time.monotonic() < deadline:
        still = []
        for cid in pending:
            try:
                if api.containers(all=True, filters={"id": cid}):
                    still.append(cid)
                    api.remove_container(cid, force=True, v=True)
            except NotFound:
                continue
            except (APIError, requests.exceptions.RequestException):
                pass
        pending = still
        if pending:
            time.sleep(0.2)
