"""Faults survived, against the real services: a worker killed mid-build, Redis restarted
with work queued, the sandbox daemon stopped mid-build. The database stays the truth."""

import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.urls import reverse

from labs.grading.types import SUBMISSION_IMAGE_REPO
from labs.models import Submission
from labs.sandbox.docker_sandbox import DockerSandbox
from labs.services import submission_create, watchdog_run
from labs.worker import alive_workers, gradings_running
from tests.factories import UserFactory, lab_from_content, offering_of
from tests.workers import Worker

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "content/labs/primeiro-conteiner/reference/Dockerfile").read_text()
DOCKERIGNORE = (ROOT / "content/labs/primeiro-conteiner/reference/.dockerignore").read_bytes()


def slow_dockerfile(seconds: int) -> str:
    """The reference with a step that takes a while and is never cached (a fresh token)."""
    return REFERENCE.replace("EXPOSE 5000", f"RUN echo {uuid.uuid4().hex} && sleep {seconds}\nEXPOSE 5000")


@pytest.fixture
def workers():
    started = []

    def start(name):
        worker = Worker(name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def lab(settings):
    settings.GRADING_WORKER_LOST_SECONDS = 1
    return lab_from_content("primeiro-conteiner")


def submit(lab, dockerfile, username=None):
    learner = UserFactory(username=username or f"l-{uuid.uuid4().hex[:8]}")
    return submission_create(
        learner=learner,
        offering=offering_of(lab),
        dockerfile=dockerfile,
        uploads={".dockerignore": DOCKERIGNORE},
        lang="pt-BR",
    )


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def reload(submission):
    return Submission.objects.get(pk=submission.pk)


def assert_counts_add_up():
    by_status = dict(Submission.objects.values_list("status").annotate(n=Count("id")))
    assert sum(by_status.values()) == Submission.objects.count()
    assert set(by_status) <= set(Submission.Status.values)


def leftovers(submission) -> list:
    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    try:
        sandbox.janitor(older_than_seconds=0)
        api = sandbox.client.api
        label = {"label": f"estaleiro.submission=sub-{submission.pk}"}
        images = api.images(filters={"reference": f"{SUBMISSION_IMAGE_REPO}/sub-{submission.pk}-*"})
        return (
            api.containers(all=True, filters=label)
            + images
            + [c for c in api.containers(all=True) if not c.get("Labels") and c["State"] in {"running", "created"}]
        )
    finally:
        sandbox.close()


def test_worker_killed_mid_build_is_graded_once_by_another(lab, workers, redis_url, sandbox_docker):
    first = workers("primeiro")
    submission = submit(lab, slow_dockerfile(20))
    wait_for(
        lambda: reload(submission).status == "building" and "sleep" in _live_log(submission), 60, "the build to start"
    )
    first.kill()
    second = workers("segundo")
    requeued = wait_for(lambda: watchdog_run(alive_workers=alive_workers())["requeued"], 30, "the watchdog to requeue")
    assert requeued == 1
    queued = reload(submission)
    assert queued.status == "queued" and queued.retries == 1 and "worker lost" in queued.error_detail
    done = wait_for(lambda: reload(submission).is_final and reload(submission), 180, "the verdict")
    assert done.status == "passed" and done.counted and done.score == 100
    assert done.worker_host == second.name
    assert Submission.objects.filter(learner=submission.learner, counted=True).count() == 1  # one attempt only
    assert second.log().count("'passed'") == 1  # graded exactly once
    assert leftovers(submission) == []
    assert_counts_add_up()


def test_pool_process_killed_mid_build_is_requeued_though_its_worker_answers(lab, workers, redis_url, sandbox_docker):
    """What an out-of-memory kill of the grading process does (or a worker restarted under the
    same name): the node keeps answering pings, so only what it says it runs tells the
    grading is gone. Requeued, graded once, by the same node's new pool process."""
    worker = workers("pool")
    submission = submit(lab, slow_dockerfile(20))
    wait_for(
        lambda: reload(submission).status == "building" and "sleep" in _live_log(submission), 60, "the build to start"
    )
    assert submission.pk in (gradings_running() or {}).get(worker.name, set())
    worker.kill_pool_process()
    requeued = wait_for(
        lambda: watchdog_run(alive_workers=alive_workers(), running=gradings_running())["requeued"],
        60,
        "the watchdog to requeue",
    )
    assert requeued == 1 and worker.name in (alive_workers() or set())
    assert "no longer runs it" in reload(submission).error_detail  # until the verdict clears it
    done = wait_for(lambda: reload(submission).is_final and reload(submission), 180, "the verdict")
    assert done.status == "passed" and done.counted and done.retries == 1
    assert Submission.objects.filter(learner=submission.learner, counted=True).count() == 1
    assert worker.log().count("'passed'") == 1  # graded exactly once
    assert_counts_add_up()


def _live_log(submission) -> str:
    from labs.livelog import live_log_since

    piece = live_log_since(submission.pk, offset=None, max_bytes=100_000)
    return piece.text if piece else ""


def test_redis_restart_with_queued_submissions_loses_none(lab, workers, redis_url, sandbox_docker, settings):
    submissions = [submit(lab, REFERENCE) for _ in range(3)]
    port = urllib.parse.urlparse(settings.CELERY_BROKER_URL).port
    redis_dir = settings.VAR_DIR / "test-redis"
    subprocess.run(["bash", str(ROOT / "scripts/redis.sh"), "stop", str(port), str(redis_dir)], check=True)
    subprocess.run(["bash", str(ROOT / "scripts/redis.sh"), "start", str(port), str(redis_dir)], check=True)
    workers("depois-do-redis")
    settings.GRADING_STUCK_MARGIN_SECONDS = 0
    watchdog_run(alive_workers=alive_workers())  # resends anything a broker lost; the claim dedups
    for submission in submissions:
        done = wait_for(lambda s=submission: reload(s).is_final and reload(s), 180, "every verdict")
        assert done.status == "passed" and done.counted and done.retries == 0
    assert_counts_add_up()


def test_sandbox_daemon_down_mid_build_is_retried_not_failed(lab, workers, redis_url, sandbox_docker, client):
    workers("com-daemon")
    submission = submit(lab, slow_dockerfile(15))
    wait_for(
        lambda: reload(submission).status == "building" and "sleep" in _live_log(submission), 60, "the build to start"
    )
    subprocess.run(["bash", str(ROOT / "sandbox/stop.sh")], check=True, capture_output=True)
    try:
        retrying = wait_for(lambda: reload(submission).retries >= 1 and reload(submission), 60, "the platform fault")
        assert retrying.status in {"queued", "building"} and not retrying.counted
        client.force_login(submission.learner)
        page = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
        if reload(submission).status == "queued":
            assert "não é culpa sua" in page and "Ainda não" not in page
    finally:
        subprocess.run(["bash", str(ROOT / "sandbox/start.sh")], check=True, capture_output=True)
    done = wait_for(
        lambda: reload(submission).is_final and reload(submission), 240, "the verdict after the daemon is back"
    )
    assert done.status == "passed" and done.counted and done.retries >= 1
    assert_counts_add_up()
