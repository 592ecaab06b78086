"""The Sandbox the grading engine uses, backed by the dedicated sandbox Docker daemon."""

import dataclasses
import datetime
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
from docker.errors import APIError, NotFound

from labs.grading.types import SUBMISSION_IMAGE_REPO, BuildOutcome, ImageFacts, Limits

from .build import BuildPolicy, run_build
from .build_cache import (
    IN_FLIGHT_GRACE_SECONDS,
    BuildCacheUsage,
    build_cache_trim,
    daemon_usage_key,
    default_usage_url,
    delete_image,
)
from .client import connect
from .faults import PlatformError, daemon_errors, remove_container
from .run import DockerContainer, start_container
from .slot import EXPIRES_LABEL, SLOT_LABEL, DiskRoom, Slot, SlotPool

log = logging.getLogger(__name__)

SUBMISSION_LABEL = "estaleiro.submission"
# Every container a grading makes says when it may be reclaimed (epoch seconds, label
# EXPIRES_LABEL): the janitor removes what a dead worker left as soon as that moment passed.
EXPIRY_GRACE_SECONDS = 300
# Room the sandbox's filesystem keeps beyond one grading's disk budget (the daemon's own
# metadata, logs, the overshoot of a step killed a moment late), and in files.
DISK_RESERVE_BYTES = 512 * 1024 * 1024
FILES_RESERVE = 50_000
# Below these, as the slot sees the filesystem after a failed step, the disk was full: the
# failure is the platform's (a neighbour within its budget, a cache too big), not the learner's.
DISK_FULL_BYTES = 128 * 1024 * 1024
FILES_FULL = 5_000
_LEARNER_STEP_FAILURES = {
    "sandbox.build_command_failed",
    "sandbox.build_killed",
    "sandbox.build_error",
    "sandbox.build_image_missing",
}
# Which Redis hash holds a daemon's build-cache use times, per daemon URL (see _usage_key).
_USAGE_KEYS: dict[str, tuple[str, float]] = {}
_USAGE_KEY_SECONDS = 600


class ImageMissing(PlatformError):
    """An image the runner just built is not there: the platform's fault, not the learner's."""


class DockerSandbox:
    """Implements labs.grading.ports.Sandbox.

    `probe_busybox` is a path on the daemon's host: a *static* busybox, bind-mounted
    read-only into every container for HTTP probes and command timeouts.

    `usage_url` is the Redis where the build cache's last-use times are kept; None means
    the Celery broker's (when Django is configured), "" keeps none."""

    def __init__(
        self,
        base_url: str,
        *,
        probe_busybox: str = "/bin/busybox",
        usage_url: str | None = None,
        slot_pool: bool = False,
    ):
        self.base_url = base_url
        # Long-lived processes (grading workers) start each grading's slot ahead of time.
        self.slot_pool = SlotPool.for_daemon(base_url) if slot_pool else None
        self.probe_busybox = probe_busybox
        self.usage_url = default_usage_url() if usage_url is None else usage_url
        self._client: docker.DockerClient | None = None
        self._usage: BuildCacheUsage | None = None
        self._lock = threading.Lock()
        # The grading in progress (begin() ... end()): its slot and its builds' policy.
        self._slot: Slot | None = None
        self._policy: BuildPolicy | None = None
        self._labels: dict[str, str] = {}
        self._limits: Limits | None = None

    @property
    def client(self) -> docker.DockerClient:
        # Connect lazily: building the object must not fail when the daemon is down, only
        # using it (with SandboxUnavailable, which the task retries).
        with self._lock:
            if self._client is None:
                self._client = connect(self.base_url)
            return self._client

    def close(self) -> None:
        self.end()
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- Sandbox protocol -------------------------------------------------------------------

    def begin(self, *, limits: Limits, labels: dict[str, str], bases: list[str]) -> None:
        """Open one grading's budget: a slot whose cgroup holds every container the grading
        makes (pids, memory, CPU for all of them together), and the policy its builds obey
        (the allowed bases by ID). Checks the filesystem has room for the grading's disk
        budget first, trimming the build cache if it must."""
        self.end()
        allowed: dict[str, str] = {}
        for base in bases:
            if base != "scratch" and (image_id := self._resolve(base)):
                allowed[base] = image_id
        if not allowed:
            raise PlatformError(
                f"none of the lab's base images ({', '.join(bases)}) is in the sandbox: run manage.py prepare_sandbox"
            )
        self._labels = self._expiring(labels, limits)
        self._limits = limits
        taken = self.slot_pool.take(limits=limits) if self.slot_pool is not None else None
        room = None
        if taken is not None:
            slot, room = taken
        else:
            slot = Slot.open(self.client, limits=limits, labels=self._labels, probe_busybox=self.probe_busybox)
        self._slot = slot
        self._policy = BuildPolicy(
            allowed_ids=frozenset(allowed.values()),
            allowed_names=tuple(bases),
            allow_scratch="scratch" in bases,
            cgroup_parent=slot.cgroup,
            resolve=self._resolve,
            room=self._room,
        )
        try:
            room = self._ensure_room(slot, limits, room)
        except BaseException:
            self.end()
            raise
        self._policy.start_files = room.free_files

    def end(self) -> None:
        slot, self._slot, self._policy = self._slot, None, None
        if self.slot_pool is not None and self._limits is not None:
            # Off the grading's clock: the used slot goes and the next one starts meanwhile.
            self.slot_pool.give_back(slot, limits=self._limits, probe_busybox=self.probe_busybox)
        elif slot is not None:
            try:
                slot.close()
            except PlatformError as exc:
                log.warning("grading slot %s left for the janitor: %s", slot.id[:12], exc)
        self._limits = None

    def _resolve(self, reference: str) -> str | None:
        """The full ID of an image the daemon has under this reference (name, tag or ID
        prefix, as a build would resolve it), or None."""
        try:
            with daemon_errors("inspect image"):
                image_id: str = self.client.api.inspect_image(reference)["Id"]
                return image_id
        except NotFound:
            return None
        except APIError:  # 4xx: not a reference the daemon can read, so no build can use it
            return None

    def _room(self) -> DiskRoom | None:
        return self._slot.disk_room() if self._slot is not None else None

    def _ensure_room(self, slot: Slot, limits: Limits, room: DiskRoom | None = None) -> DiskRoom:
        need = limits.disk_mb * 1024 * 1024 + DISK_RESERVE_BYTES
        room = room or slot.disk_room()
        if room.free_bytes >= need and room.free_files >= limits.disk_files + FILES_RESERVE:
            return room
        log.warning(
            "sandbox disk low (%s MB, %s files free; a grading needs %s MB): trimming the build cache",
            room.free_bytes // 2**20,
            room.free_files,
            need // 2**20,
        )
        self.trim_build_cache(max_bytes=0, min_idle_seconds=IN_FLIGHT_GRACE_SECONDS, free_bytes=need - room.free_bytes)
        room = slot.disk_room()
        if room.free_bytes < need or room.free_files < limits.disk_files + FILES_RESERVE:
            raise PlatformError(
                f"the sandbox disk is too full to grade safely ({room.free_bytes // 2**20} MB and "
                f"{room.free_files} files free; this lab needs {need // 2**20} MB)"
            )
        return room

    @staticmethod
    def _expiring(labels: dict[str, str], limits: Limits) -> dict[str, str]:
        expires = int(time.time()) + limits.build_seconds + limits.run_seconds + EXPIRY_GRACE_SECONDS
        return {**labels, EXPIRES_LABEL: str(expires)}

    def build(
        self,
        *,
        files: dict[str, bytes],
        tag: str,
        limits: Limits,
        labels: dict[str, str],
        on_log: Callable[[str], None] | None = None,
    ) -> BuildOutcome:
        if self._slot is not None:
            return self._build(files=files, tag=tag, limits=limits, labels=labels, on_log=on_log)
        # Outside a grading (a command, a test): a slot of its own all the same, so no build
        # ever runs without its own pids, memory and CPU caps.
        self._slot = Slot.open(
            self.client, limits=limits, labels=self._expiring(labels, limits), probe_busybox=self.probe_busybox
        )
        self._policy = BuildPolicy(cgroup_parent=self._slot.cgroup)
        try:
            return self._build(files=files, tag=tag, limits=limits, labels=labels, on_log=on_log)
        finally:
            self.end()

    def _build(
        self,
        *,
        files: dict[str, bytes],
        tag: str,
        limits: Limits,
        labels: dict[str, str],
        on_log: Callable[[str], None] | None,
    ) -> BuildOutcome:
        outcome = run_build(
            self.client, files=files, tag=tag, limits=limits, labels=labels, on_log=on_log, policy=self._policy
        )
        if not outcome.ok and not outcome.platform_fault and not outcome.rejected:
            if self._daemon_went_away(outcome):
                # The daemon went away mid-build (stopped, crashed): its killing the step is
                # not the learner's failure, whatever exit code the step reported.
                return dataclasses.replace(
                    outcome,
                    platform_fault=True,
                    error_id="sandbox.build_platform",
                    error_params={"detail": "the sandbox daemon stopped during the build"},
                )
            if outcome.error_id in _LEARNER_STEP_FAILURES and self._disk_was_full():
                # Within its own budget (the disk watch did not stop it), yet the filesystem
                # is full: a neighbour or the cache took the room. Retried, never counted.
                return dataclasses.replace(
                    outcome,
                    platform_fault=True,
                    error_id="sandbox.build_platform",
                    error_params={"detail": "the sandbox's disk was full"},
                )
            if outcome.error_id in _LEARNER_STEP_FAILURES and self._pids_limit_hit():
                # The step could not start a process: the grading's own cap, named for the learner.
                outcome = dataclasses.replace(
                    outcome, error_id="sandbox.build_pids_limit", error_params={"limit": limits.pids}
                )
        if not outcome.platform_fault:  # a daemon in trouble is not to be asked who it is
            self._record_use(outcome.step_images)
        return outcome

    def _pids_limit_hit(self) -> bool:
        try:
            return self._slot is not None and self._slot.pids_cap_reached()
        except Exception:  # noqa: BLE001 - the slot did not answer: nothing observed
            return False

    def _disk_was_full(self) -> bool:
        try:
            room = self._room()
        except Exception:  # noqa: BLE001 - the slot did not answer: nothing observed
            return False
        return room is not None and (room.free_bytes < DISK_FULL_BYTES or room.free_files < FILES_FULL)

    def discard_build(self, outcome: BuildOutcome) -> int:
        """Remove the layers a failed or rejected build made (newest first), so no step of it
        (another learner's code, a file it should not have had) stays as cache. A layer that
        has children or a tag is someone else's too and stays."""
        removed = 0
        api = self.client.api
        for short in reversed(outcome.created_images):
            try:
                with daemon_errors("inspect image"):
                    info = api.inspect_image(short)
            except NotFound:
                continue
            if info.get("RepoTags"):
                continue
            removed += self._delete_image(info["Id"], force=False)
        return removed

    def _record_use(self, step_images: tuple[str, ...]) -> None:
        if not step_images:
            return
        try:
            usage = self._cache_usage()
            if usage is not None:
                usage.record(step_images)
        except Exception as exc:  # noqa: BLE001 - bookkeeping only: never fail a grading for it
            log.warning("build cache use not recorded: %s", exc)

    def _cache_usage(self) -> BuildCacheUsage | None:
        if self._usage is None and self.usage_url:
            self._usage = BuildCacheUsage(self.usage_url, key=self._usage_key())
        return self._usage

    def _usage_key(self) -> str:
        # One `docker info` per daemon every few minutes, not one per grading: it is the
        # slowest call a grading would otherwise make after the build and the start.
        known = _USAGE_KEYS.get(self.base_url)
        if known is None or time.monotonic() - known[1] > _USAGE_KEY_SECONDS:
            known = _USAGE_KEYS[self.base_url] = (daemon_usage_key(self.client), time.monotonic())
        return known[0]

    def _daemon_went_away(self, outcome: BuildOutcome) -> bool:
        """A stopping daemon kills the running step (exit 137/143) and answers pings for a
        moment more; only a step killed that way earns the short wait to tell the two apart."""
        killed = outcome.error_id == "sandbox.build_killed" or outcome.error_params.get("code") in (137, 143)
        deadline = time.monotonic() + (3.0 if killed else 0.0)
        while True:
            try:
                self.client.api.ping()
            except Exception:  # noqa: BLE001 — any failure to answer means it is gone
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)

    def image_facts(self, image: str, *, base: str | None = None) -> ImageFacts:
        api = self.client.api
        try:
            with daemon_errors("inspect image"):
                attrs = api.inspect_image(image)
        except NotFound as exc:
            raise ImageMissing(f"image {image} not found in the sandbox") from exc
        config = attrs.get("Config") or {}
        env = {}
        for item in config.get("Env") or []:
            name, _, value = item.partition("=")
            env[name] = value
        return ImageFacts(
            id=attrs["Id"],
            size_bytes=int(attrs.get("Size") or 0),
            user=config.get("User") or "",
            workdir=config.get("WorkingDir") or "",
            exposed_ports=sorted(config.get("ExposedPorts") or {}),
            cmd=config.get("Cmd"),
            entrypoint=config.get("Entrypoint"),
            env=env,
            labels=dict(config.get("Labels") or {}),
            healthcheck=(config.get("Healthcheck") or {}).get("Test"),
            base_size_bytes=self._base_size(base),
        )

    def _base_size(self, base: str | None) -> int | None:
        if not base:
            return None
        if base == "scratch":
            return 0
        try:
            with daemon_errors("inspect base image"):
                return int(self.client.api.inspect_image(base).get("Size") or 0)
        except NotFound:
            return None

    def start(self, *, image: str, limits: Limits, labels: dict[str, str]) -> DockerContainer:
        return start_container(
            self.client,
            image=image,
            limits=limits,
            labels={**labels, **self._labels},
            probe_busybox=self.probe_busybox,
            cgroup_parent=self._slot.cgroup if self._slot is not None else None,
        )

    def remove_image(self, image: str) -> None:
        # noprune=True: the untagged parents are the legacy builder's cache; pruning them
        # makes the next identical submission rebuild every step.
        api = self.client.api
        try:
            with daemon_errors("inspect image"):
                attrs = api.inspect_image(image)
        except NotFound:
            return
        label_steps = self._label_step_ancestors(attrs)
        if not self._delete_image(image, force=True):
            return
        # The legacy builder turns each build label into its own LABEL step, so the image's
        # first parents carry this build's labels and would never be a cache hit for anyone
        # else. Remove them too, stopping at one that still has children (it is then
        # shared) or at the last real step.
        for parent in label_steps:
            if not self._delete_image(parent, force=False):
                break

    def _label_step_ancestors(self, attrs: dict[str, Any]) -> list[str]:
        found: list[str] = []
        parent = attrs.get("Parent")
        while parent and len(found) < 32:
            try:
                with daemon_errors("inspect image"):
                    info = self.client.api.inspect_image(parent)
            except NotFound:
                break
            cmd = (info.get("ContainerConfig") or {}).get("Cmd") or []
            is_label = len(cmd) == 4 and cmd[2].strip() == "#(nop)" and cmd[3].startswith("LABEL ")
            if info.get("RepoTags") or not is_label:
                break
            found.append(info["Id"])
            parent = info.get("Parent")
        return found

    def _delete_image(self, image: str, *, force: bool) -> bool:
        """True when the image is gone; False when it is still needed (children, a container)."""
        return delete_image(self.client.api, image, force=force)

    # -- housekeeping -----------------------------------------------------------------------

    def janitor(self, *, older_than_seconds: int, label_key: str = SUBMISSION_LABEL) -> dict[str, Any]:
        """Reclaim what crashed or forgetful workers left: submission containers and images
        older than the age, and stopped containers of builds that were never cleaned up."""
        api = self.client.api
        cutoff = time.time() - older_than_seconds
        with daemon_errors("list containers"):
            labelled = api.containers(all=True, filters={"label": label_key})
            # Grading slots started ahead of time carry no submission; they go by expiry only
            # (a live worker's ready slot may be older than the cut-off).
            waiting = [
                c
                for c in api.containers(all=True, filters={"label": SLOT_LABEL})
                if label_key not in (c.get("Labels") or {})
            ]
            stopped = api.containers(all=True, filters={"status": ["created", "exited", "dead"]})
        counts = {"containers": 0, "build_containers": 0, "images": 0}
        now = time.time()
        for item in labelled:
            if _expired(item, now) or item.get("Created", 0) < cutoff:
                counts["containers"] += self._remove_container(item["Id"])
        for item in waiting:
            if _expired(item, now):
                counts["containers"] += self._remove_container(item["Id"])
        for item in stopped:
            if item.get("Created", 0) < cutoff and _is_build_leftover(item, label_key):
                counts["build_containers"] += self._remove_container(item["Id"])
        for image in self._submission_images(f"{SUBMISSION_IMAGE_REPO}/*"):
            if image["tagged_at"] < cutoff:
                counts["images"] += sum(self._delete_image(tag, force=False) for tag in image["tags"])
        if any(counts.values()):
            log.info("sandbox janitor removed %s", counts)
        return counts

    def _submission_images(self, reference: str) -> list[dict[str, Any]]:
        """Submission images matching a reference, with their tags and when they were tagged.

        The tag time, not the image's: a fully cached build tags a step image that may be
        days old, and that image belongs to a grading in progress."""
        api, found = self.client.api, []
        with daemon_errors("list images"):
            listed = api.images(filters={"reference": reference})
        for item in listed:
            tags = [t for t in item.get("RepoTags") or [] if t.startswith(f"{SUBMISSION_IMAGE_REPO}/")]
            try:
                with daemon_errors("inspect image"):
                    metadata = api.inspect_image(item["Id"]).get("Metadata") or {}
            except NotFound:
                continue
            found.append({"tags": tags, "tagged_at": _timestamp(metadata.get("LastTagTime")) or item.get("Created", 0)})
        return found

    def trim_build_cache(
        self, *, max_bytes: int, min_idle_seconds: float = IN_FLIGHT_GRACE_SECONDS, free_bytes: int = 0
    ) -> dict[str, Any]:
        """Bound the legacy builder's cache to max_bytes (and free at least free_bytes), least
        recently used first."""
        try:
            usage = self._cache_usage()
        except Exception as exc:  # noqa: BLE001 - without history the trim goes by creation time
            log.warning("build cache use times unavailable: %s", exc)
            usage = None
        used_at = usage.load() if usage is not None else {}
        counts = build_cache_trim(
            self.client, max_bytes=max_bytes, used_at=used_at, min_idle_seconds=min_idle_seconds, free_bytes=free_bytes
        )
        stale = counts.pop("stale_ids")
        if usage is not None and stale:
            usage.forget(stale)
        return counts

    def _remove_container(self, container_id: str) -> int:
        return int(remove_container(self.client.api, container_id))


def _timestamp(value: str | None) -> float | None:
    """Docker's RFC 3339 times carry nanoseconds, which datetime does not read."""
    if not value or value.startswith("0001-"):
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if not match:
        return None
    moment = datetime.datetime.fromisoformat(match[1] + ("+00:00" if match[3] == "Z" else match[3]))
    return moment.timestamp() + float(f"0.{match[2] or 0}")


def _expired(item: dict[str, Any], now: float) -> bool:
    value = (item.get("Labels") or {}).get(EXPIRES_LABEL, "")
    return value.isdigit() and int(value) < now


def _is_build_leftover(item: dict[str, Any], label_key: str) -> bool:
    """The legacy builder's step containers carry no build labels (those go to the final
    image only) and are created from an image *id*, never a name; a submission's run
    container always has the submission label and a tag."""
    labels = item.get("Labels") or {}
    return label_key not in labels and str(item.get("Image", "")).startswith("sha256:")
