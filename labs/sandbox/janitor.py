"""The janitor of a grading host's sandbox daemon: it reclaims what dead workers left, then
bounds the build cache, least recently used first.

Each grading host has a daemon of its own, so the janitor runs where the grading runs; the
worker decides when and how to reach the daemon (labs/worker.py): this module reads no
settings."""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .client import SandboxUnavailable
from .faults import PlatformError

log = logging.getLogger(__name__)


class CleanableSandbox(Protocol):
    """What the janitor needs of a sandbox (DockerSandbox is one)."""

    def janitor(self, *, older_than_seconds: int) -> dict[str, Any]: ...

    def trim_build_cache(self, *, max_bytes: int) -> dict[str, Any]: ...

    def close(self) -> None: ...


class SandboxJanitor:
    """One process's janitor: it runs at most once every `every_seconds`, unless forced.

    `min_age_seconds`: anything labelled for a submission and older than this was left by a
    worker that died (nothing a grading in progress made can be older than its task's hard
    time limit). Thread-safe: a worker's start runs it in a thread while a first grading may
    already ask for its turn."""

    def __init__(self, *, min_age_seconds: int, every_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.min_age_seconds = min_age_seconds
        self.every_seconds = every_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last = float("-inf")

    def run(
        self, open_sandbox: Callable[[], CleanableSandbox], *, build_cache_bytes: int, force: bool = False
    ) -> dict[str, Any] | None:
        """The counts of what was removed (the build cache's under "build_cache"); None when
        it was not its turn or the daemon did not answer. A sandbox is opened only for a turn
        and closed after it."""
        if not self._take_turn(force=force):
            return None
        sandbox = open_sandbox()
        try:
            counts = sandbox.janitor(older_than_seconds=self.min_age_seconds)
            # After the janitor: the submission images it removed leave their steps as cache.
            counts["build_cache"] = sandbox.trim_build_cache(max_bytes=build_cache_bytes)
            return counts
        except (SandboxUnavailable, PlatformError) as exc:
            log.warning("sandbox janitor skipped: %s", exc)
            return None
        finally:
            sandbox.close()

    def _take_turn(self, *, force: bool) -> bool:
        with self._lock:
            now = self._clock()
            if not force and now - self._last < self.every_seconds:
                return False
            self._last = now
            return True
