"""The Sandbox the grading engine uses, backed by the dedicated sandbox Docker daemon."""

import dataclasses
import datetime
import logging
import re
import threading
import time
from collections.abc import Callable

import docker
from docker.errors import APIError, NotFound

from labs.grading.types import SUBMISSION_IMAGE_REPO, BuildOutcome, ImageFacts, Limits, submission_image

from .build import run_build
from .build_cache import (IN_FLIGHT_GRACE_SECONDS, BuildCacheUsage, build_cache_trim, daemon_usage_key,
                          default_usage_url, delete_image)
from .client import connect
from .faults import PlatformError, api_error_text, daemon_errors
from .run import DockerContainer, start_container

log = logging.getLogger(__name__)

SUBMISSION_LABEL = "estaleiro.submission"
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

    def __init__(self, base_url: str, *, probe_busybox: str = "/bin/busybox", usage_url: str | None = None):
        self.base_url = base_url
        self.probe_busybox = probe_busybox
        self.usage_url = default_usage_url() if usage_url is None else usage_url
        self._client: docker.DockerClient | None = None
        self._usage: BuildCacheUsage | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> docker.DockerClient:
        # Connect lazily: building the object must not fail when the daemon is down, only
        # using it (with SandboxUnavailable, which the task retries).
        with self._lock:
            if self._client is None:
                self._client = connect(self.base_url)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- Sandbox protocol -------------------------------------------------------------------

    def build(self, *, files: dict[str, bytes], tag: str, limits: Limits, labels: dict[str, str],
              on_log: Callable[[str], None] | None = None) -> BuildOutcome:
        outcome = run_build(self.client, files=files, tag=tag, limits=limits, labels=labels, on_log=on_log)
        if not outcome.ok and not outcome.platform_fault and self._daemon_went_away(outcome):
            # The daemon went away mid-build (stopped, crashed): its killing the step is not
            # the learner's failure, whatever exit code the step reported.
            return dataclasses.replace(outcome, platform_fault=True, error_id="sandbox.build_platform",
                                       error_params={"detail": "the sandbox daemon stopped during the build"})
        if not outcome.platform_fault:  # a daemon in trouble is not to be asked who it is
            self._record_use(outcome.step_images)
        return outcome

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
        return start_container(self.client, image=image, limits=limits, labels=labels,
                               probe_busybox=self.probe_busybox)

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
        # first parents carry this submission's labels and would never be a cache hit for
        # anyone else. Remove them too, stopping at one that still has children (it is
        # then shared) or at the learner's own last real step.
        for parent in label_steps:
            if not self._delete_image(parent, force=False):
                break

    def _label_step_ancestors(self, attrs: dict) -> list[str]:
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

    def cleanup_submission(self, submission: str, *, label_key: str = SUBMISSION_LABEL) -> dict:
        """Remove every container labelled for one submission and the image tagged for it."""
        selector = {"label": f"{label_key}={submission}"}
        api = self.client.api
        with daemon_errors("list containers"):
            containers = api.containers(all=True, filters=selector)
        removed = sum(self._remove_container(c["Id"]) for c in containers)
        tags = [tag for image in self._submission_images(submission_image(submission)) for tag in image["tags"]]
        return {"containers": removed, "images": sum(self._delete_image(tag, force=True) for tag in tags)}

    def janitor(self, *, older_than_seconds: int, label_key: str = SUBMISSION_LABEL) -> dict:
        """Reclaim what crashed or forgetful workers left: submission containers and images
        older than the age, and stopped containers of builds that were never cleaned up."""
        api = self.client.api
        cutoff = time.time() - older_than_seconds
        with daemon_errors("list containers"):
            labelled = api.containers(all=True, filters={"label": label_key})
            stopped = api.containers(all=True, filters={"status": ["created", "exited", "dead"]})
        counts = {"containers": 0, "build_containers": 0, "images": 0}
        for item in labelled:
            if item.get("Created", 0) < cutoff:
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

    def _submission_images(self, reference: str) -> list[dict]:
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

    def trim_build_cache(self, *, max_bytes: int, min_idle_seconds: float = IN_FLIGHT_GRACE_SECONDS) -> dict:
        """Bound the legacy builder's cache to max_bytes, least recently used first."""
        try:
            usage = self._cache_usage()
        except Exception as exc:  # noqa: BLE001 - without history the trim goes by creation time
            log.warning("build cache use times unavailable: %s", exc)
            usage = None
        used_at = usage.load() if usage is not None else {}
        counts = build_cache_trim(self.client, max_bytes=max_bytes, used_at=used_at, min_idle_seconds=min_idle_seconds)
        stale = counts.pop("stale_ids")
        if usage is not None and stale:
            usage.forget(stale)
        return counts

    def _remove_container(self, container_id: str) -> int:
        try:
            with daemon_errors("remove container"):
                self.client.api.remove_container(container_id, force=True, v=True)
        except NotFound:
            return 0
        except APIError as exc:
            if exc.status_code == 409:  # already being removed
                return 0
            raise PlatformError(f"remove container: {api_error_text(exc)}") from exc
        return 1


def _timestamp(value: str | None) -> float | None:
    """Docker's RFC 3339 times carry nanoseconds, which datetime does not read."""
    if not value or value.startswith("0001-"):
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if not match:
        return None
    moment = datetime.datetime.fromisoformat(match[1] + ("+00:00" if match[3] == "Z" else match[3]))
    return moment.timestamp() + float(f"0.{match[2] or 0}")


def _is_build_leftover(item: dict, label_key: str) -> bool:
    """The legacy builder's step containers carry no build labels (those go to the final
    image only) and are created from an image *id*, never a name; a submission's run
    container always has the submission label and a tag."""
    labels = item.get("Labels") or {}
    return label_key not in labels and str(item.get("Image", "")).startswith("sha256:")
