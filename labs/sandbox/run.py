"""Running a learner's image hardened, and probing it from inside its own namespaces.

The container has no network at all (`network_mode="none"`), so HTTP checks run a static
busybox bind-mounted read-only at /.probe/busybox inside the container, against 127.0.0.1.
Every blocking call has a wall clock: a learner's server that never answers, or a command
that never ends, must not hold a worker.
"""

import io
import logging
import math
import posixpath
import re
import tarfile
import threading
import time
from typing import Any, TypeAlias, cast

import docker
from docker.errors import APIError, ImageNotFound, NotFound
from docker.types import LogConfig, Ulimit
from docker.types.daemon import CancellableStream

from labs.grading.ports import ContainerRefused, SandboxFault
from labs.grading.types import ExecOutcome, HttpOutcome, Limits

from .faults import PlatformError, api_error_text, daemon_errors, remove_container

log = logging.getLogger(__name__)

MIB = 1024 * 1024
PROBE = "/.probe/busybox"
# What one exec may print before we stop reading: checks look at a few KB at most.
EXEC_OUTPUT_CAP = 1_000_000
EXEC_DRAIN_CAP = 64_000_000
# The in-container `timeout` kills first; this is how much later we cut the stream ourselves
# (e.g. when a background child keeps the output pipe open).
EXEC_GRACE_SECONDS = 3
# Headers of the one-file tar get_archive sends (PAX records included) fit in this.
TAR_HEADROOM = 64 * 1024
_GO_MODE_DIR = 1 << 31
_STATUS_LINE = re.compile(r"^\s*HTTP/\d(?:\.\d)?\s+(\d{3})", re.MULTILINE)
_STATUS_ERROR = re.compile(r"server returned error: HTTP/\d(?:\.\d)?\s+(\d{3})")
_UNSAFE_HEADER = re.compile(r"[\r\n\x00]")
NOT_RUNNING = "the container is not running"
# An image may declare volumes (VOLUME): each gets a tmpfs, not a directory on the sandbox's
# disk. More than this many is refused (each is a mount and a share of the memory cap).
MAX_VOLUMES = 16
# What exec_start streams: (stdout, stderr) pairs when demultiplexed, else raw bytes. A string:
# CancellableStream is generic only in the stubs.
_ExecStream: TypeAlias = "CancellableStream[tuple[bytes | None, bytes | None]] | CancellableStream[bytes]"


def _volume_mounts(client: docker.DockerClient, image: str, size_mb: int) -> dict[str, str]:
    """A small tmpfs for every path the image declares as a volume.

    Docker would otherwise mount an anonymous volume there, read-write, on the sandbox's
    data-root: around the read-only root, the /tmp cap and the grading's disk budget. A
    tmpfs at the same path takes the volume's place (Docker creates no volume for a path
    that already has a mount) and counts against the container's memory cap."""
    with daemon_errors("inspect image"):
        config = client.api.inspect_image(image).get("Config") or {}
    volumes = sorted(config.get("Volumes") or {})
    if len(volumes) > MAX_VOLUMES:
        raise ContainerRefused("sandbox.too_many_volumes", count=len(volumes), max=MAX_VOLUMES)
    return {
        path: f"rw,size={size_mb}m,nosuid,nodev"
        for path in volumes
        if path.startswith("/") and path.rstrip("/") not in ("", "/tmp")
    }


def start_container(
    client: docker.DockerClient,
    *,
    image: str,
    limits: Limits,
    labels: dict[str, str],
    probe_busybox: str,
    cgroup_parent: str | None = None,
) -> "DockerContainer":
    memory = limits.memory_mb * MIB
    tmpfs = {**_volume_mounts(client, image, limits.tmpfs_mb), "/tmp": f"rw,size={limits.tmpfs_mb}m,nosuid,nodev"}
    options: dict[str, Any] = dict(
        detach=True,
        network_mode="none",
        mem_limit=memory,
        memswap_limit=memory,  # equal: no swap on top of the memory cap
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
        tmpfs=tmpfs,
        # An init reaps the zombies of a careless app and of our probes' `timeout` watchers.
        init=True,
        # One rotating 1 MB file: logs() can read all of it without a memory risk.
        log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
        labels=dict(labels),
        volumes={probe_busybox: {"bind": PROBE, "mode": "ro"}},
        ulimits=[Ulimit(name="nofile", soft=1024, hard=1024)],
    )
    if cgroup_parent:
        # Inside the grading's slot: its pids, memory and CPU caps hold for the run too.
        options["cgroup_parent"] = cgroup_parent
    try:
        with daemon_errors("create container"):
            # create() and not run(): run() pulls the image when it is missing, and the
            # sandbox must never pull.
            created = client.containers.create(image, **options)
    except ImageNotFound as exc:
        raise PlatformError(f"image {image} vanished before it could run") from exc
    except APIError as exc:
        if exc.status_code is not None and 400 <= exc.status_code < 500:
            # Our options are fixed; what varies is the learner's image (its volumes, user,
            # working directory...): a request the daemon calls invalid is that image's.
            raise ContainerRefused("sandbox.container_refused", detail=api_error_text(exc)[:300]) from exc
        raise PlatformError(f"the sandbox refused to create the container: {api_error_text(exc)}") from exc
    # A container the daemon created has an ID (docker-py's Model.id reads it from the answer).
    container_id = cast(str, created.id)
    container = DockerContainer(client, container_id, limits=limits)
    try:
        with daemon_errors("start container", server_errors_are_platform=False):
            client.api.start(container_id)
    except APIError as exc:
        # E.g. "unable to find user appuser" (HTTP 500!): the learner's image cannot start.
        # Keep the container so the runner sees it not running and reads why in logs(). The
        # text may quote the learner's image (a USER name, an ENTRYPOINT path), so it never
        # decides whose fault this is: a daemon that still answers started it as asked.
        text = api_error_text(exc)
        if not _daemon_answers(client):
            container.remove()
            raise PlatformError(f"start container: {text}") from exc
        container.start_error = text
    except SandboxFault:
        container.remove()
        raise
    container.arm_wall_clock()
    return container


class DockerContainer:
    """One started container; implements labs.grading.ports.Container."""

    def __init__(self, client: docker.DockerClient, container_id: str, *, limits: Limits):
        self.id = container_id
        self._api = client.api
        self._limits = limits
        self.start_error = ""
        self._timer: threading.Timer | None = None

    def arm_wall_clock(self) -> None:
        # The runner removes the container when done; this timer covers a runner that
        # crashed or forgot, so a learner's process never outlives run_seconds.
        self._timer = threading.Timer(self._limits.run_seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        log.info("container %s reached its %s s wall clock; removing it", self.id[:12], self._limits.run_seconds)
        try:
            self._force_remove()
        except Exception:  # the janitor will find it
            log.warning("could not remove expired container %s", self.id[:12], exc_info=True)

    # -- commands ---------------------------------------------------------------------------

    def exec(self, argv: list[str], *, timeout: float) -> ExecOutcome:
        if not argv:
            return ExecOutcome(exit_code=-1, output="empty command")
        seconds = max(1, math.ceil(timeout))
        # `timeout -s KILL` inside the container: cutting our connection alone would leave
        # the process running there.
        wrapped = [PROBE, "timeout", "-s", "KILL", str(seconds), *argv]
        started = time.monotonic()
        try:
            code, out, err = self._exec(wrapped, seconds + EXEC_GRACE_SECONDS, demux=False)
        except _NotRunning:
            return ExecOutcome(exit_code=-1, output=NOT_RUNNING)
        text = (out + err).decode("utf-8", "replace")
        if code is None or (code == 137 and time.monotonic() - started >= seconds - 0.2):
            return ExecOutcome(exit_code=None, output=text)
        return ExecOutcome(exit_code=code, output=text)

    def http(
        self, *, method: str, port: int, path: str, body: str | None, headers: dict[str, str], timeout: float
    ) -> HttpOutcome:
        method = method.upper()
        if method not in ("GET", "POST"):
            return HttpOutcome(status=None, body="", error=f"the probe can only send GET and POST, not {method}")
        if not path.startswith("/"):
            path = "/" + path
        # Specs come from instructors, but a newline would still smuggle a second header line.
        if " " in path or any(_UNSAFE_HEADER.search(piece) for piece in [path, *headers, *headers.values()]):
            return HttpOutcome(status=None, body="", error="unsafe characters in the path or headers")
        seconds = max(1, math.ceil(timeout))
        # No `-T`: Debian's busybox 1.35 wget segfaults with it; `timeout` bounds the request.
        argv = [
            PROBE,
            "timeout",
            "-s",
            "KILL",
            str(seconds),
            PROBE,
            "wget",
            "-q",
            "-S",
            "-O",
            "-",
            "-U",
            "estaleiro-probe",
        ]
        for name, value in headers.items():
            argv += ["--header", f"{name}: {value}"]
        if method == "POST":
            argv += ["--post-data", body or ""]
        argv.append(f"http://127.0.0.1:{int(port)}{path}")
        try:
            code, out, err = self._exec(argv, seconds + EXEC_GRACE_SECONDS, demux=True)
        except _NotRunning:
            return HttpOutcome(status=None, body="", error=NOT_RUNNING)
        stderr = err.decode("utf-8", "replace")
        statuses = _STATUS_LINE.findall(stderr) or _STATUS_ERROR.findall(stderr)
        # busybox wget exits 1 on 4xx/5xx (and prints no body): the status still counts.
        if statuses:
            return HttpOutcome(status=int(statuses[-1]), body=out.decode("utf-8", "replace"))
        if code is None or code == 137:
            return HttpOutcome(status=None, body="", error=f"no answer within {seconds} s")
        lines = [line for line in stderr.splitlines() if line.strip()]
        return HttpOutcome(status=None, body="", error=lines[-1] if lines else f"wget exited with {code}")

    def _exec(self, argv: list[str], limit_seconds: float, *, demux: bool) -> tuple[int | None, bytes, bytes]:
        """(exit code or None on timeout, stdout, stderr); stdout holds both when not demux."""
        api = self._api
        deadline = time.monotonic() + limit_seconds
        try:
            with daemon_errors("exec", server_errors_are_platform=False):
                exec_id: str = api.exec_create(self.id, argv, stdout=True, stderr=True)["Id"]
                stream: _ExecStream
                if demux:
                    stream = api.exec_start(exec_id, stream=True, demux=True)
                else:
                    stream = api.exec_start(exec_id, stream=True, demux=False)
        except APIError as exc:
            # 404 removed, 409 not running. A container that exits between exec_create and
            # exec_start makes the daemon answer 500 "Container ... is not running": that is
            # the learner's app ending, not a platform fault, so ask the daemon which it is.
            if exc.status_code in (404, 409) or not self.is_running():
                raise _NotRunning() from exc
            raise PlatformError(f"exec: {api_error_text(exc)}") from exc
        timed_out = threading.Event()

        def cut() -> None:
            timed_out.set()
            _close_quietly(stream)

        timer = threading.Timer(limit_seconds, cut)
        timer.daemon = True
        timer.start()
        out, err = bytearray(), bytearray()
        kept = dropped = 0
        try:
            # CancellableStream turns a cut connection into the end of iteration.
            for chunk in stream:
                o, e = chunk if isinstance(chunk, tuple) else (chunk, None)
                size = len(o or b"") + len(e or b"")
                if kept + size <= EXEC_OUTPUT_CAP:
                    out += o or b""
                    err += e or b""
                    kept += size
                    continue
                # Past the cap, keep draining without storing: cutting the connection makes
                # the daemon report a meaningless exit code (126) for a command that may end
                # well. A command that floods without end is cut at the drain cap.
                dropped += size
                if dropped > EXEC_DRAIN_CAP:
                    _close_quietly(stream)
                    timed_out.set()
                    break
        finally:
            timer.cancel()
        if dropped:
            out += b"\n[...]\n"
        if timed_out.is_set():
            return None, bytes(out), bytes(err)
        return self._exit_code(exec_id, deadline), bytes(out), bytes(err)

    def _exit_code(self, exec_id: str, deadline: float) -> int | None:
        # The output can end a moment before the daemon records the exit code, and a
        # command whose output was cut runs on until it ends or its timeout kills it.
        while True:
            with daemon_errors("exec inspect"):
                info = self._api.exec_inspect(exec_id)
            if not info.get("Running"):
                return info.get("ExitCode")
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    # -- files, state, logs -----------------------------------------------------------------

    def read_file(self, path: str, *, max_bytes: int, _depth: int = 0) -> bytes | None:
        try:
            with daemon_errors("read file"):
                chunks, stat = self._api.get_archive(self.id, path)
        except NotFound:
            return self._read_by_exec(path, max_bytes)
        except APIError:  # 4xx: a path the daemon refuses
            return None
        if stat.get("mode", 0) & _GO_MODE_DIR:
            return None
        target = stat.get("linkTarget") or ""
        if target and _depth < 5:
            return self.read_file(
                posixpath.join(posixpath.dirname(path), target), max_bytes=max_bytes, _depth=_depth + 1
            )
        wanted = min(int(stat.get("size", 0)), max_bytes)
        buf = bytearray()
        with daemon_errors("read file"):
            for chunk in chunks:
                buf += chunk
                if len(buf) >= wanted + TAR_HEADROOM:
                    break  # the rest is beyond the cap: dropping the stream closes it
        del chunks
        try:
            with tarfile.open(fileobj=io.BytesIO(bytes(buf)), mode="r:") as archive:
                member = archive.next()
                if member is None or not member.isfile():
                    return None
                handle = archive.extractfile(member)
                return handle.read(min(member.size, max_bytes)) if handle else None
        except (tarfile.TarError, EOFError) as exc:
            raise PlatformError(f"unreadable archive for {path}: {exc}") from exc

    def _read_by_exec(self, path: str, max_bytes: int) -> bytes | None:
        """get_archive does not see tmpfs mounts (what the app wrote in /tmp): ask the
        probe inside the running container instead."""
        script = f'test -f "$1" && exec {PROBE} head -c "$2" "$1"'
        max_bytes = min(max_bytes, EXEC_OUTPUT_CAP)
        try:
            code, out, _ = self._exec(
                [PROBE, "sh", "-c", script, "read", path, str(max_bytes)], 10 + EXEC_GRACE_SECONDS, demux=True
            )
        except _NotRunning:
            return None
        return bytes(out[:max_bytes]) if code == 0 else None

    def is_running(self) -> bool:
        try:
            with daemon_errors("inspect container"):
                state = self._api.inspect_container(self.id)["State"]
        except NotFound:
            return False
        return bool(state.get("Running"))

    def logs(self, *, max_bytes: int) -> str:
        try:
            with daemon_errors("container logs"):
                raw = self._api.logs(self.id, stdout=True, stderr=True)
        except NotFound:
            raw = b""
        text = raw[-max_bytes:].decode("utf-8", "replace") if max_bytes > 0 else ""
        if self.start_error:
            text = (text + "\n" if text else "") + self.start_error
        return text[-max_bytes:] if max_bytes > 0 else ""

    def remove(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._force_remove()

    def _force_remove(self) -> None:
        remove_container(self._api, self.id)


class _NotRunning(Exception):
    pass


def _daemon_answers(client: docker.DockerClient) -> bool:
    try:
        client.api.ping()
    except Exception:  # noqa: BLE001 - any failure to answer means it is gone
        return False
    return True


def _close_quietly(stream: _ExecStream) -> None:
    try:
        stream.close()
    except Exception:  # noqa: BLE001 - already closed
        pass
