"""Read-only look at the services Estaleiro depends on (for the operations page)."""

from dataclasses import dataclass, fields
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from config.celery import app as celery_app
from labs.models import Submission
from labs.sandbox.client import DaemonStatus
from labs.worker import SANDBOX_REPORT, SANDBOX_REPORT_TIMEOUT_SECONDS

_DAEMON_FIELDS = {field.name for field in fields(DaemonStatus)}


@dataclass(frozen=True)
class GradingHost:
    """A worker consuming the grading queue, with its sandbox daemon as it reported it."""

    name: str
    sandbox: DaemonStatus
    graded_last_day: int


@dataclass(frozen=True)
class ServiceStatus:
    redis_ok: bool
    redis_error: str
    grading_queue_length: int
    default_queue_length: int
    running_jobs: int
    queued_submissions: int
    workers: list[str]
    grading_hosts: list[GradingHost]
    # Workers that answered the ping but not the sandbox report in time.
    silent_workers: list[str]


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
    reports: dict[str, dict] = {}
    if redis_ok:
        replies = celery_app.control.ping(timeout=1.0) or []
        workers = sorted(name for reply in replies for name in reply)
    if workers:
        # The broker relays the question; the answer returns as soon as every worker replied.
        answers = (
            celery_app.control.broadcast(
                SANDBOX_REPORT,
                reply=True,
                destination=workers,
                limit=len(workers),
                timeout=SANDBOX_REPORT_TIMEOUT_SECONDS + 2.0,
            )
            or []
        )
        reports = {name: report for answer in answers for name, report in answer.items() if isinstance(report, dict)}

    return ServiceStatus(
        redis_ok=redis_ok,
        redis_error=redis_error,
        grading_queue_length=grading_queue_length,
        default_queue_length=default_queue_length,
        running_jobs=Submission.objects.filter(status__in=Submission.IN_PROGRESS).count(),
        queued_submissions=Submission.objects.filter(status=Submission.Status.QUEUED).count(),
        workers=workers,
        grading_hosts=_grading_hosts(reports),
        silent_workers=[name for name in workers if "queues" not in reports.get(name, {})],
    )


def _grading_hosts(reports: dict[str, dict]) -> list[GradingHost]:
    names = sorted(name for name, report in reports.items() if report.get("grading"))
    since = timezone.now() - timedelta(days=1)
    graded = dict(
        Submission.objects.filter(worker_host__in=names, finished_at__gte=since)
        .values("worker_host")
        .annotate(count=Count("id"))
        .values_list("worker_host", "count")
    )
    hosts = []
    for name in names:
        sandbox = reports[name].get("sandbox") or {}
        known = {key: value for key, value in sandbox.items() if key in _DAEMON_FIELDS}
        hosts.append(
            GradingHost(
                name=name, sandbox=DaemonStatus(**{"reachable": False, **known}), graded_last_day=graded.get(name, 0)
            )
        )
    return hosts
