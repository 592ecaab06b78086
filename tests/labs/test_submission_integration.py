"""Through the web client, a real Celery worker and the real sandbox daemon."""

import time

import pytest
from django.urls import reverse

from labs.models import Submission
from tests.factories import default_class, lab_from_content

from .test_submission_services import DOCKERIGNORE, REFERENCE

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_final(pk: int, seconds: float = 240) -> Submission:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=pk)
        if submission.is_final:
            return submission
        time.sleep(0.5)
    pytest.fail(f"submission {pk} still {Submission.objects.get(pk=pk).status} after {seconds} s")


def test_web_submit_is_graded_by_a_real_worker(client, learner, redis_url, sandbox_docker, celery_worker_process):
    lab = lab_from_content("primeiro-conteiner")
    client.force_login(learner)
    response = client.post(
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        {"dockerfile": REFERENCE, "files": _upload(".dockerignore", DOCKERIGNORE)},
    )
    assert response.status_code == 302
    submission = wait_final(Submission.objects.get(learner=learner).pk)
    assert submission.status == "passed", submission.report
    assert submission.score == 100 and submission.counted and submission.worker_host.startswith("pytest-")
    assert "Successfully built" in submission.log
    page = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "Aprovado" in page and "every 1s" not in page

    broken = REFERENCE.replace(
        "RUN pip install --no-cache-dir -r requirements.txt", "RUN pip install --no-cache-dir -r requisitos.txt"
    )
    response = client.post(reverse("labs:submit", args=[default_class().pk, lab.slug]), {"dockerfile": broken})
    submission = wait_final(Submission.objects.filter(learner=learner).latest("created_at").pk)
    assert submission.status == "failed"
    build = next(c for c in submission.report["checks"] if c["id"] == "build")
    assert build["status"] == "failed" and "requisitos.txt" in build["message"] and build["line"] == 9
    page = client.get(response.url).content.decode()
    assert 'class="log-failing"' in page


def _upload(name, content):
    import io

    handle = io.BytesIO(content)
    handle.name = name
    return handle
