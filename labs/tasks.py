import socket

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .services import submission_grade, submission_platform_fault, watchdog_run


@shared_task(
    bind=True,
    name="labs.grade_submission",
    # Acknowledged only after the work: a worker killed mid-build gives the message back.
    # The claim (queued -> building) makes a redelivered or duplicated message harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1500,
    time_limit=1560,
)
def grade_submission(self, submission_id: int) -> str:
    host = self.request.hostname or socket.gethostname()
    try:
        return submission_grade(submission_id=submission_id, worker_host=host)
    except SoftTimeLimitExceeded:
        return submission_platform_fault(submission_id=submission_id, detail="grading exceeded the task's time limit")


@shared_task(name="labs.watchdog", ignore_result=True)
def watchdog() -> dict:
    counts = watchdog_run(alive_workers=alive_workers())
    counts["janitor"] = _janitor()
    return counts


def alive_workers() -> set[str] | None:
    """Celery nodes answering a ping now; None if the broker cannot be asked."""
    from config.celery import app

    try:
        return {name for reply in (app.control.ping(timeout=2.0) or []) for name in reply}
    except Exception:  # noqa: BLE001 — unknown is safer than "everyone is dead"
        return None


def _janitor() -> dict:
    from django.conf import settings

    from .sandbox.client import SandboxUnavailable
    from .sandbox.docker_sandbox import DockerSandbox

    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    try:
        # Older than any lab's limits allow: nothing alive is that old.
        return sandbox.janitor(older_than_seconds=3600)
    except SandboxUnavailable as exc:
        return {"error": str(exc)}
    finally:
        sandbox.close()
