"""The labs' Celery tasks: each calls services and is safe to run twice. What a worker does
around them (its start and shutdown hooks, the janitor, the broker ping) is labs/worker.py."""

import socket

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .services import GRADE_SUBMISSION_TASK, submission_grade, submission_platform_fault, watchdog_run
from .worker import (
    GRADING_HARD_LIMIT_SECONDS,
    GRADING_SOFT_LIMIT_SECONDS,
    alive_workers,
    gradings_running,
    sandbox_janitor,
)


@shared_task(
    bind=True,
    name=GRADE_SUBMISSION_TASK,
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
    return watchdog_run(alive_workers=alive_workers(), running=gradings_running())
