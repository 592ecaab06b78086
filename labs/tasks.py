import logging
import socket
import threading
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_shutdown, worker_ready
from celery.worker.control import inspect_command

from .services import submission_grade, submission_platform_fault, watchdog_run

log = logging.getLogger(__name__)

GRADING_SOFT_LIMIT_SECONDS = 1500
GRADING_HARD_LIMIT_SECONDS = 1560
# Nothing a grading in progress made can be older than the task's hard limit; anything
# labelled for a submission and older than this was left by a worker that died.
JANITOR_MIN_AGE_SECONDS = GRADING_HARD_LIMIT_SECONDS + 60
JANITOR_EVERY_SECONDS = 300
# The remote-control command a worker answers with the state of its own sandbox daemon.
SANDBOX_REPORT = "estaleiro_sandbox"
# Short: the operations page waits for the slowest grading host's answer.
SANDBOX_REPORT_TIMEOUT_SECONDS = 2


@shared_task(
    bind=True,
    name="labs.grade_submission",
    # Acknowledged only after the work: a worker killed mid-build gives the message back.
    # The claim (queued -> building) makes a redelivered or duplicated message harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=GRADING_SOFT_LIMIT_SECONDS,
    time_limit=GRADING_HARD_LIMIT_SECONDS,
)
def grade_submission(self, submission_id: int) -> str:
    host = self.request.hostname or socket.gethostname()
    sandbox_janitor()
    try:
        return submission_grade(submission_id=submission_id, worker_host=host)
    except SoftTimeLimitExceeded:
        return submission_platform_fault(submission_id=submission_id, detail="grading exceeded the task's time limit")


@shared_task(name="labs.watchdog", ignore_result=True)
def watchdog() -> dict:
    return watchdog_run(alive_workers=alive_workers())


def alive_workers() -> set[str] | None:
    """Celery nodes answering a ping now; None if the broker cannot be asked."""
    from config.celery import app

    try:
        return {name for reply in (app.control.ping(timeout=2.0) or []) for name in reply}
    except Exception:  # noqa: BLE001 — unknown is safer than "everyone is dead"
        return None


_janitor_lock = threading.Lock()
_janitor_last = float("-inf")


def sandbox_janitor(*, force: bool = False) -> dict | None:
    """Reclaim what dead workers left in *this* worker's sandbox daemon.

    Each grading host has a daemon of its own, so the janitor runs where the grading runs:
    when a grading worker starts, and then at most every JANITOR_EVERY_SECONDS before a
    grading. After the leftovers it bounds the build cache (SANDBOX_BUILD_CACHE_MB), least
    recently used first. None when it was not its turn or the daemon did not answer."""
    global _janitor_last
    from django.conf import settings

    from .sandbox.client import SandboxUnavailable
    from .sandbox.docker_sandbox import DockerSandbox
    from .sandbox.faults import PlatformError

    with _janitor_lock:
        if not force and time.monotonic() - _janitor_last < JANITOR_EVERY_SECONDS:
            return None
        _janitor_last = time.monotonic()
    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    try:
        counts = sandbox.janitor(older_than_seconds=JANITOR_MIN_AGE_SECONDS)
        # After the janitor: the submission images it removed leave their steps as cache.
        counts["build_cache"] = sandbox.trim_build_cache(max_bytes=settings.SANDBOX_BUILD_CACHE_MB * 1024 * 1024)
        return counts
    except (SandboxUnavailable, PlatformError) as exc:
        log.warning("sandbox janitor skipped: %s", exc)
        return None
    finally:
        sandbox.close()


def _grades(consumer) -> tuple[bool, list[str]]:
    """Whether a worker's consumer takes from the grading queue, and the queues it takes from."""
    from django.conf import settings

    queues = sorted(queue.name for queue in getattr(getattr(consumer, "task_consumer", None), "queues", []))
    return settings.GRADING_QUEUE in queues, queues


@worker_ready.connect
def _janitor_when_a_grading_worker_starts(sender=None, **_kwargs) -> None:
    if _grades(sender)[0]:
        # In a thread: a daemon slow to answer must not hold up the worker's start.
        threading.Thread(target=_janitor_at_start, name="sandbox-janitor", daemon=True).start()


@worker_process_shutdown.connect
def _drop_ready_slots(**_kwargs) -> None:
    # The grading slot this process started ahead of time would otherwise wait for its expiry.
    from .sandbox.slot import SlotPool

    SlotPool.close_all()


def _janitor_at_start() -> None:
    log.info("sandbox janitor at worker start: %s", sandbox_janitor(force=True))


@inspect_command(name=SANDBOX_REPORT)
def sandbox_report(state, **_kwargs) -> dict:
    """The queues this worker consumes and, for a grading worker, its sandbox daemon's state.

    Each grading host has its own daemon, reachable from that host only (in Compose the web
    container has no route to it by design), so the operations page asks the workers through
    the broker instead of asking the daemons itself."""
    from dataclasses import asdict

    from django.conf import settings

    from .sandbox.client import daemon_status

    grading, queues = _grades(state.consumer)
    report: dict = {"queues": queues, "grading": grading}
    if grading:
        report["sandbox"] = asdict(daemon_status(settings.SANDBOX_DOCKER_HOST, timeout=SANDBOX_REPORT_TIMEOUT_SECONDS))
    return report
