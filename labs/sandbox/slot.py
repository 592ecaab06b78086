"""A grading's budget, enforced by the kernel: one small idle container per grading whose
cgroup is the parent of every container that grading makes.

The legacy builder takes no pids limit per build, and a cap on the daemon's whole cgroup is
shared by every grading: a thread bomb in one build used to exhaust it for all. So each
grading starts a *slot* container (a static busybox sleeping) with the grading's pids,
memory and CPU caps, and its build steps (`cgroupparent` of the build) and its run container
(`cgroup_parent`) are created inside the slot's cgroup. cgroup v1 limits are hierarchical:
whatever the learner's build or app does, the grading as a whole stays within its caps, and
the gradings beside it keep theirs. The slot also answers how much room the sandbox's
filesystem has left (its root is an overlay on the daemon's data-root), which is how a full
disk is told from a learner's disk filler without reading any text the learner controls.
"""

import functools
import hashlib
import io
import logging
import re
import secrets
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound
from docker.types import LogConfig

from labs.grading.types import Limits

from .faults import PlatformError, api_error_text, daemon_errors, remove_container

log = logging.getLogger(__name__)

MIB = 1024 * 1024
PROBE = "/.probe/busybox"
SLOT_LABEL = "estaleiro.slot"
# The slot's own image: nothing but the static busybox, imported once per daemon, so a slot
# needs no base image (a build FROM scratch gets one too).
SLOT_IMAGE_REPO = "estaleiro/slot"
# The slot's own processes (busybox sleep, the probes' exec) on top of the grading's.
SLOT_PIDS_HEADROOM = 8
SLOT_MEMORY_HEADROOM_MB = 32
# The slot expires by itself if the worker that opened it dies.
SLOT_GRACE_SECONDS = 180
# A slot started ahead of time waits at most this long for its grading (see SlotPool).
SLOT_IDLE_SECONDS = 900
EXPIRES_LABEL = "estaleiro.expires"
_CGROUP_LINE = re.compile(r"^\d+:([^:]*):(/.*)$")


@dataclass(frozen=True)
class DiskRoom:
    free_bytes: int
    total_bytes: int
    free_files: int


@functools.lru_cache(maxsize=4)
def _busybox_key(path: str, mtime_ns: int, size: int) -> str:
    """Hash of the busybox at path, read once per version of the file (not per grading)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def slot_image(client: docker.DockerClient, busybox: str) -> str:
    """The slot image for this busybox (a static binary, as the probes use), imported into
    the daemon the first time: one layer holding /.probe/busybox."""
    stat = Path(busybox).stat()
    tag = f"{SLOT_IMAGE_REPO}:{_busybox_key(busybox, stat.st_mtime_ns, stat.st_size)}"
    try:
        with daemon_errors("inspect the slot image"):
            client.api.inspect_image(tag)
        return tag
    except docker.errors.NotFound:
        pass
    data = Path(busybox).read_bytes()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        folder = tarfile.TarInfo(".probe")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        member = tarfile.TarInfo(PROBE.lstrip("/"))
        member.size, member.mode = len(data), 0o755
        tar.addfile(member, io.BytesIO(data))
    repository, _, key = tag.partition(":")
    with daemon_errors("import the slot image"):
        client.api.import_image_from_data(buf.getvalue(), repository=repository, tag=key)
    return tag


class Slot:
    """One grading's cgroup and its window on the sandbox's filesystem."""

    def __init__(self, api: docker.APIClient, container_id: str, cgroup: str | None, *, ends_at: float = float("inf")):
        self._api = api
        self.id = container_id
        # None when the daemon's cgroups cannot nest (cgroup v2 puts no processes beside
        # child cgroups): the per-container limits then stand alone.
        self.cgroup = cgroup
        self.ends_at = ends_at  # when its process (and so its cgroup) ends by itself

    @classmethod
    def open(
        cls,
        client: docker.DockerClient,
        *,
        limits: Limits,
        labels: dict[str, str],
        probe_busybox: str,
        idle_seconds: int = 0,
    ) -> "Slot":
        api = client.api
        image = slot_image(client, probe_busybox)
        memory = (limits.memory_mb + SLOT_MEMORY_HEADROOM_MB) * MIB
        seconds = idle_seconds + limits.build_seconds + limits.run_seconds + SLOT_GRACE_SECONDS
        labels = {**labels, SLOT_LABEL: "true", EXPIRES_LABEL: str(int(time.time()) + seconds)}
        try:
            with daemon_errors("create the grading slot"):
                created = api.create_container(
                    image,
                    [PROBE, "sleep", str(seconds)],
                    name=f"estaleiro-slot-{secrets.token_hex(8)}",
                    labels=labels,
                    network_disabled=True,
                    host_config=api.create_host_config(
                        network_mode="none",
                        mem_limit=memory,
                        memswap_limit=memory,
                        nano_cpus=int(limits.cpus * 1e9),
                        pids_limit=limits.pids + SLOT_PIDS_HEADROOM,
                        cap_drop=["ALL"],
                        security_opt=["no-new-privileges"],
                        read_only=True,
                        log_config=LogConfig(type="none", config={}),
                    ),
                )
        except ImageNotFound as exc:
            raise PlatformError(f"the grading slot's image {image} is missing from the sandbox") from exc
        except APIError as exc:
            raise PlatformError(f"the sandbox refused the grading slot: {api_error_text(exc)}") from exc
        slot = cls(api, created["Id"], None, ends_at=time.monotonic() + seconds)
        try:
            with daemon_errors("start the grading slot"):
                api.start(slot.id)
            slot.cgroup = slot._own_cgroup()
        except BaseException:
            slot.close()
            raise
        return slot

    def _exec(self, argv: list[str]) -> str:
        with daemon_errors("grading slot exec"):
            exec_id = self._api.exec_create(self.id, argv, stdout=True, stderr=False)["Id"]
            out = self._api.exec_start(exec_id)
            code = self._api.exec_inspect(exec_id).get("ExitCode")
        if code != 0:
            raise PlatformError(f"grading slot: {argv[1]} exited with {code}")
        text: str = out.decode("utf-8", "replace")
        return text

    def _own_cgroup(self) -> str | None:
        """The slot's cgroup path as the kernel names it (the same under every v1 controller
        with the cgroupfs driver): /<daemon's cgroup parent>/<container id>."""
        for line in self._exec([PROBE, "cat", "/proc/self/cgroup"]).splitlines():
            match = _CGROUP_LINE.match(line.strip())
            if match and "pids" in match[1].split(","):
                return match[2]
        log.warning("the sandbox daemon's cgroups cannot nest (cgroup v2?): per-grading caps are per container only")
        return None

    def fit(self, limits: Limits) -> None:
        """Set the slot's caps to one grading's limits (a slot started ahead of time was
        started with another lab's). docker-py's update_container knows no PidsLimit."""
        memory = (limits.memory_mb + SLOT_MEMORY_HEADROOM_MB) * MIB
        body = {
            "PidsLimit": limits.pids + SLOT_PIDS_HEADROOM,
            "Memory": memory,
            "MemorySwap": memory,
            "NanoCpus": int(limits.cpus * 1e9),
        }
        with daemon_errors("update the grading slot"):
            response = self._api._post_json(  # type: ignore[attr-defined]  # noqa: SLF001
                self._api._url("/containers/{0}/update", self.id),  # type: ignore[attr-defined]  # noqa: SLF001
                data=body,
            )
            self._api._raise_for_status(response)  # type: ignore[attr-defined]  # noqa: SLF001

    def disk_room(self) -> DiskRoom:
        """Free and total bytes of the sandbox's filesystem, as statfs sees it through the
        slot's overlay root (which lives on the daemon's data-root)."""
        words = self._exec([PROBE, "stat", "-f", "-c", "%a %b %S %d", "/"]).split()
        try:
            available, blocks, block_size, files = (int(word) for word in words[:4])
        except ValueError as exc:
            raise PlatformError(f"grading slot: unreadable statfs answer {words!r}") from exc
        return DiskRoom(free_bytes=available * block_size, total_bytes=blocks * block_size, free_files=files)

    def pids_cap_reached(self) -> bool:
        """Whether the grading's processes reached the slot's pids cap at some moment (its
        build steps and run container included): the kernel's peak for the slot's cgroup
        (pids.peak, Linux 6.1+) against its max. cgroup v1 counts refused forks in the
        forking task's own cgroup, which a finished build step takes with it, so the peak
        is the one witness left."""
        # Before Linux 6.1 there is no pids.peak: cat fails, _exec raises, nothing is observed.
        words = self._exec([PROBE, "cat", "/sys/fs/cgroup/pids/pids.peak", "/sys/fs/cgroup/pids/pids.max"]).split()
        return len(words) == 2 and words[0].isdigit() and words[1].isdigit() and int(words[0]) >= int(words[1])

    def close(self) -> None:
        remove_container(self._api, self.id, what="remove the grading slot")


class SlotPool:
    """One fresh slot per daemon, started ahead of time in this process.

    Starting a container costs a few hundred milliseconds, more than a whole cached build:
    so when a grading ends, a thread removes its slot and starts the next one, with a
    reading of the filesystem's room. A slot serves one grading only (the page cache its
    children leave is charged to it). When none is ready (the first grading, a burst), the
    grading opens its own."""

    _pools: dict[str, "SlotPool"] = {}
    _pools_lock = threading.Lock()

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._lock = threading.Lock()
        self._ready: tuple[Slot, DiskRoom | None, float] | None = None
        self._client: docker.DockerClient | None = None

    @classmethod
    def close_all(cls) -> None:
        """Remove the ready slots of this process (it is shutting down)."""
        with cls._pools_lock:
            pools = list(cls._pools.values())
        for pool in pools:
            pool.discard_ready()

    @classmethod
    def for_daemon(cls, base_url: str) -> "SlotPool":
        with cls._pools_lock:
            pool = cls._pools.get(base_url)
            if pool is None:
                pool = cls._pools[base_url] = cls(base_url)
            return pool

    def take(self, *, limits: Limits) -> tuple[Slot, DiskRoom | None] | None:
        """The ready slot fitted to `limits`, with its room reading (None if stale), or None."""
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is None:
            return None
        slot, room, measured_at = ready
        grading = limits.build_seconds + limits.run_seconds + SLOT_GRACE_SECONDS
        try:
            if slot.ends_at - time.monotonic() < grading:
                raise PlatformError("the ready slot would end before the grading")
            slot.fit(limits)
        except Exception as exc:  # noqa: BLE001 - gone (the janitor, a restart) or unfit: open another
            log.info("ready grading slot not used: %s", exc)
            self._discard(slot)
            return None
        return slot, (room if time.monotonic() - measured_at < 30 else None)

    def discard_ready(self) -> None:
        """Remove the slot started ahead, if one is ready."""
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            self._discard(ready[0])

    def give_back(self, used: Slot | None, *, limits: Limits, probe_busybox: str) -> None:
        """Remove a used slot and start the next one, in the background."""
        threading.Thread(target=self._refill, args=(used, limits, probe_busybox), name="slot-pool", daemon=True).start()

    def _refill(self, used: Slot | None, limits: Limits, probe_busybox: str) -> None:
        if used is not None:
            self._discard(used)
        try:
            client = self._connect()
            slot = Slot.open(
                client, limits=limits, labels={}, probe_busybox=probe_busybox, idle_seconds=SLOT_IDLE_SECONDS
            )
            room = slot.disk_room()
        except Exception as exc:  # noqa: BLE001 - the next grading opens its own slot
            log.info("no grading slot started ahead: %s", exc)
            return
        with self._lock:
            previous, self._ready = self._ready, (slot, room, time.monotonic())
        if previous is not None:
            self._discard(previous[0])

    def _connect(self) -> docker.DockerClient:
        from .client import connect

        if self._client is None:
            self._client = connect(self.base_url)
        return self._client

    def _discard(self, slot: Slot) -> None:
        try:
            slot.close()
        except Exception as exc:  # noqa: BLE001 - expired slots are the janitor's
            log.info("grading slot %s left for the janitor: %s", slot.id[:12], exc)
