"""Grading has a queue of its own: the web's small tasks never wait behind builds."""

import pytest
import redis
from django.conf import settings

from config.celery import app
from core.services import worker_ping
from tests.workers import Worker

pytestmark = [pytest.mark.redis, pytest.mark.worker]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_grading_goes_to_its_own_queue_and_the_rest_to_the_default_one():
    assert queue_of("labs.grade_submission") == settings.GRADING_QUEUE
    for name in ("labs.watchdog", "core.ping"):
        assert queue_of(name) == settings.CELERY_TASK_DEFAULT_QUEUE != settings.GRADING_QUEUE


@pytest.mark.django_db(transaction=True)
def test_a_backlog_of_gradings_does_not_delay_the_default_queue(redis_url):
    """Twenty gradings wait (no grading worker runs); a worker of the default queue still
    answers a ping at once and leaves the gradings where they are."""
    from labs.tasks import grade_submission

    conn = redis.Redis.from_url(redis_url)
    conn.delete(settings.GRADING_QUEUE)
    for submission_id in range(10_000, 10_020):
        grade_submission.apply_async((submission_id,))
    assert conn.llen(settings.GRADING_QUEUE) == 20
    tasks = Worker("tarefas", queues=settings.CELERY_TASK_DEFAULT_QUEUE)
    try:
        answer = worker_ping(timeout=30)
        assert answer["received_at"] >= answer["sent_at"]
        assert conn.llen(settings.GRADING_QUEUE) == 20, "the default queue's worker took gradings"
    finally:
        tasks.stop()
        conn.delete(settings.GRADING_QUEUE)
