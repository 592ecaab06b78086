"""Read-only look at the services Estaleiro depends on (for the operations page)."""

from dataclasses import dataclass

import redis
from django.conf import settings

from config.celery import app as celery_app
from labs.models import Submission
from labs.sandbox.client import DaemonStatus, daemon_status


@dataclass(frozen=True)
class ServiceStatus:
    redis_ok: bool
    redis_error: str
    grading_queue_length: int
    default_queue_length: int
    running_jobs: int
    queued_submissions: int
    workers: list[str]
    sandbox: DaemonStatus


def services_status() -> ServiceStatus:
    redis_ok, redis_error, grading_queue_length, default_queue_length = True, "", 0, 0
    try:
        conn = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        conn.ping()
        # Celery's Redis transport keeps each queue as a list named after it.
        grading_queue_length = conn.llen(settings.GRADING_QUEUE)
        default_queue_length = conn.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    except redis.RedisError as exc:
        redis_ok, redis_error = False, str(exc)
    workers: list[str] = []
    if redis_ok:
        replies = celery_app.control.ping(timeout=1.0) or []
        workers = sorted(name for reply in replies for name in reply)

    return ServiceStatus(
        redis_ok=redis_ok,
        redis_error=redis_error,
        grading_queue_length=grading_queue_length,
        default_queue_length=default_queue_length,
        running_jobs=Submission.objects.filter(status__in=Submission.IN_PROGRESS).count(),
        queued_submissions=Submission.objects.filter(status=Submission.Status.QUEUED).count(),
        workers=workers,
        sandbox=daemon_status(settings.SANDBOX_DOCKER_HOST),
    )
