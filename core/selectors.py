"""Read-only look at the services Estaleiro depends on (for the operations page)."""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from config.celery import app as celery_app
from labs.models import Submission
from labs.sandbox.client import DaemonStatus
from labs.worker import SANDBOX_REPORT, SANDBOX_REPORT_TIMEOUT_SECONDS

_DAEMON_FIELDS = {field.name for field in fields(DaemonStatus)}

# Asking the workers takes a second or more (the ping waits its whole timeout), so their answers
# are kept briefly: reloading the page reads them from the cache and says how old they are.
WORKERS_CACHE_KEY = "operations:workers"
WORKERS_CACHE_SECONDS = 30


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
    # When the workers were asked (None when the broker was unreachable, so nobody was).
    workers_asked_at: datetime | None = None

    @property
    def workers_age_seconds(self) -> int | None:
        if self.workers_asked_at is None:
            return None
        return max(0, int((timezone.now() - self.workers_asked_at).total_seconds()))


def services_status(*, fresh: bool = False) -> ServiceStatus:
    """The broker, the queues and the database now; the workers' answers as last asked, within
    WORKERS_CACHE_SECONDS (`fresh` asks them again)."""
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
    asked_at = None
    if redis_ok:
        workers, reports, asked_at = _workers_answers(fresh=fresh)

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
        workers_asked_at=asked_at,
    )


def _workers_answers(*, fresh: bool) -> tuple[list[str], dict[str, dict], datetime]:
    """The workers alive and their sandbox reports, with when they were asked."""
    cached = None if fresh else cache.get(WORKERS_CACHE_KEY)
    if cached is not None:
        return cached
    replies = celery_app.control.ping(timeout=1.0) or []
    workers = sorted(name for reply in replies for name in reply)
    reports: dict[str, dict] = {}
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
    answer = (workers, reports, timezone.now())
    cache.set(WORKERS_CACHE_KEY, answer, WORKERS_CACHE_SECONDS)
    return answer


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
