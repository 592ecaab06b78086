"""The worker's wiring (labs/worker.py) is in place in a worker, and the web sends the
grading task by name without loading the sandbox's Docker machinery."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from labs.worker import SANDBOX_REPORT, SANDBOX_REPORT_TIMEOUT_SECONDS
from tests.workers import Worker

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}


def test_what_a_worker_imports_at_its_start_connects_the_hooks_and_the_command():
    """A fresh process loads what a worker loads at its start (the loader's default modules:
    CELERY_IMPORTS and every app's tasks), then gets the worker's signals."""
    code = """
import threading

from celery.signals import worker_process_shutdown, worker_ready
from celery.worker.control import Panel

from config.celery import app

app.loader.import_default_modules()

from django.conf import settings

from labs import worker
from labs.sandbox.slot import SlotPool

done = []
SlotPool.close_all = classmethod(lambda cls: done.append("ready slots dropped"))
worker.janitor.run = lambda *args, **kwargs: done.append(("janitor", kwargs.get("force")))
worker_process_shutdown.send(sender=None, pid=0, exitcode=0)
queue = type("Queue", (), {"name": settings.GRADING_QUEUE})
consumer = type("Consumer", (), {"task_consumer": type("TaskConsumer", (), {"queues": [queue]})})
worker_ready.send(sender=consumer)
for thread in threading.enumerate():
    if thread.name == "sandbox-janitor":
        thread.join(10)
assert done == ["ready slots dropped", ("janitor", True)], done
assert worker.SANDBOX_REPORT in Panel.data
assert {"labs.grade_submission", "labs.watchdog", "core.ping", "quizzes.finish_overdue_attempts"} <= set(app.tasks)
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, check=True)


def test_the_web_knows_the_grading_task_by_name_without_the_sandbox_machinery():
    code = """
import sys

import django

django.setup()
import config.urls  # noqa: F401 - every view the web serves

from config.celery import app

assert "labs.grade_submission" in app.tasks
worker_only = {"labs.grading_service", "labs.sandbox.docker_sandbox", "labs.sandbox.slot",
               "labs.sandbox.build", "labs.sandbox.run", "labs.sandbox.build_cache"}
leaks = sorted(worker_only & set(sys.modules))
assert not leaks, leaks
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, check=True)


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_grading_worker_runs_the_janitor_at_its_start_and_answers_the_sandbox_report(redis_url):
    """A daemon that is not there: the janitor skips its turn, the report says unreachable."""
    worker = Worker("wiring", env={"SANDBOX_DOCKER_HOST": "unix:///nonexistent/estaleiro-test.sock"})
    try:
        answers = app.control.broadcast(
            SANDBOX_REPORT, reply=True, destination=[worker.name], limit=1, timeout=SANDBOX_REPORT_TIMEOUT_SECONDS + 5.0
        )
        [report] = [answer[worker.name] for answer in answers if worker.name in answer]
        assert report["queues"] == [settings.GRADING_QUEUE] and report["grading"] is True
        assert report["sandbox"]["reachable"] is False and "nonexistent" in report["sandbox"]["error"]
        deadline = time.monotonic() + 30
        while "sandbox janitor at worker start: None" not in worker.log():
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.5)
        assert "sandbox janitor skipped" in worker.log()
    finally:
        worker.stop()
