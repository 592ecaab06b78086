"""What a Celery worker process does besides running the labs' tasks: the sandbox janitor at
a grading worker's start, the ready slot dropped at a process's shutdown, the remote-control
command the operations page asks the workers with, and the broker ping the watchdog uses.

Every worker imports this module at its start (CELERY_IMPORTS in config/settings.py), so
the hooks and the command are in place whichever tasks it consumes. The web imports it too,
with the tasks (labs/apps.py), but not the sandbox's Docker machinery: that is imported
inside the functions only a worker runs, as labs/services.py keeps the grading engine out."""

import logging
import threading
from dataclasses import asdict
from typing import Any

from celery.signals import worker_process_shutdown, worker_ready
from celery.worker.control import inspect_command
from django.conf import settings

from config.celery import app

from .sandbox.client import daemon_status
from .sandbox.janitor import CleanableSandbox, SandboxJanitor
from .services import GRADE_SUBMISSION_TASK

log = logging.getLogger(__name__)

# How long one grading may hold a worker process (the grading task's time limits).
GRADING_SOFT_LIMIT_SECONDS = 1500
GRADING_HARD_LIMIT_SECONDS = 1560
JANITOR_EVERY_SECONDS = 300
# The remote-control command a worker answers with the state of its own sandbox daemon.
SANDBOX_REPORT = "estaleiro_sandbox"
# Short: the operations page waits for the slowest grading host's answer.
SANDBOX_REPORT_TIMEOUT_SECONDS = 2

# Nothing a grading in progress made can be older than the task's hard limit; anything
# labelled for a submission and older than this was left by a worker that died.
janitor = SandboxJanitor(min_age_seconds=GRADING_HARD_LIMIT_SECONDS + 60, every_seconds=JANITOR_EVERY_SECONDS)


def sandbox_janitor(*, force: bool = False) -> dict[str, Any] | None:
    """Reclaim what dead workers left in *this* worker's sandbox daemon: when a grading
    worker starts, and then at most every JANITOR_EVERY_SECONDS before a grading. None when
    it was not its turn or the daemon did not answer."""
    return janitor.run(_open_sandbox, build_cache_bytes=settings.SANDBOX_BUILD_CACHE_MB * 1024 * 1024, force=force)


def _open_sandbox() -> CleanableSandbox:
    from .sandbox.docker_sandbox import DockerSandbox  # workers only: see the module's docstring

    return DockerSandbox(settings.SANDBOX_DOCKER_HOST)


def alive_workers() -> set[str] | None:
    """Celery nodes answering a ping now; None if the broker cannot be asked."""
    try:
        return {name for reply in (app.control.ping(timeout=2.0) or []) for name in reply}
    except Exception:  # noqa: BLE001 — unknown is safer than "everyone is dead"
        return None


def gradings_running() -> dict[str, set[int]] | None:
    """The submissions each answering Celery node is grading now (its active grading tasks);
    None if the nodes cannot be asked. A node that answers without a submission the database
    says it is grading has lost that run (a pool process killed, the worker restarted)."""
    try:
        replies = app.control.inspect(timeout=2.0).active() or {}
    except Exception:  # noqa: BLE001 — unknown: the watchdog falls back to pings alone
        return None
    running: dict[str, set[int]] = {}
    for node, requests in replies.items():
        ids = running.setdefault(node, set())
        for request in requests or []:
            args = request.get("args") or []
            if request.get("name") == GRADE_SUBMISSION_TASK and isinstance(args, (list, tuple)) and args:
                try:
                    ids.add(int(args[0]))
                except (TypeError, ValueError):
                    continue
    return running


def _grades(consumer) -> tuple[bool, list[str]]:
    """Whether a worker's consumer takes from the grading queue, and the queues it takes from."""
    queues = sorted(queue.name for queue in getattr(getattr(consumer, "task_consumer", None), "queues", []))
    return settings.GRADING_QUEUE in queues, queues


@worker_ready.connect
def _janitor_when_a_grading_worker_starts(sender=None, **_kwargs) -> None:
    if _grades(sender)[0]:
        # In a thread: a daemon slow to answer must not hold up the worker's start.
        threading.Thread(target=_janitor_at_start, name="sandbox-janitor", daemon=True).start()


def _janitor_at_start() -> None:
    log.info("sandbox janitor at worker start: %s", sandbox_janitor(force=True))


@worker_process_shutdown.connect
def _drop_ready_slots(**_kwargs) -> None:
    # The grading slot this process started ahead of time would otherwise wait for its expiry.
    from .sandbox.slot import SlotPool  # workers only: see the module's docstring

    SlotPool.close_all()


@inspect_command(name=SANDBOX_REPORT)
def sandbox_report(state, **_kwargs) -> dict:
    """The queues this worker consumes and, for a grading worker, its sandbox daemon's state.

    Each grading host has its own daemon, reachable from that host only (in Compose the web
    container has no route to it by design), so the operations page asks the workers through
    the broker instead of asking the daemons itself."""
    grading, queues = _grades(state.consumer)
    report: dict = {"queues": queues, "grading": grading}
    if grading:
        report["sandbox"] = asdict(daemon_status(settings.SANDBOX_DOCKER_HOST, timeout=SANDBOX_REPORT_TIMEOUT_SECONDS))
    return report
