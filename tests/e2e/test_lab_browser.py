"""A learner in Chromium submits Dockerfiles, watches the build live and reads the verdict.
Real browser, real worker, real sandbox daemon."""

import time

import pytest
from django.urls import reverse

from labs.models import Submission
from tests.factories import UserFactory, default_class, lab_from_content

from .helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.docker,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

LAB_DIR = "content/labs/primeiro-conteiner"
REFERENCE = open(f"{LAB_DIR}/reference/Dockerfile").read()
DOCKERIGNORE = open(f"{LAB_DIR}/reference/.dockerignore", "rb").read()


def log_in_and_open_lab(page, live_server):
    UserFactory(username="ana", first_name="Ana")
    lab = lab_from_content("primeiro-conteiner")
    log_in(page, live_server, "ana", reverse("labs:detail", args=[default_class().pk, lab.slug]))
    page.get_by_role("heading", name="Seu primeiro contêiner").wait_for()


def watch_until_done(page, seconds=180) -> list[tuple[str, str]]:
    """(phase text, log text) as the page shows them, until a verdict appears."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = page.locator("#submission-status")
        phase = status.locator(".phase-text").inner_text()
        log = page.locator(".build-log").inner_text() if page.locator(".build-log").count() else ""
        seen.append((phase, log))
        if page.locator(".verdict").count():
            return seen
        time.sleep(0.25)
    pytest.fail(f"no verdict after {seconds} s; last: {seen[-1:]}")


def test_reference_solution_passes_live(page, live_server, redis_url, sandbox_docker, celery_worker_process):
    log_in_and_open_lab(page, live_server)
    page.get_by_label("Dockerfile", exact=True).fill(REFERENCE)
    page.get_by_label("Arquivos extras (opcional)").set_input_files(
        [{"name": ".dockerignore", "mimeType": "text/plain", "buffer": DOCKERIGNORE}]
    )
    page.get_by_role("button", name="Construir e verificar").click()
    page.get_by_role("heading", name="Entrega #").wait_for()
    seen = watch_until_done(page)
    verdict = page.locator(".verdict").inner_text()
    assert "Aprovado" in verdict and "100 / 100" in verdict
    assert page.locator("tr.check-passed").count() == 9
    assert "Successfully built" in page.locator(".build-log").inner_text()
    lengths = [len(log) for _, log in seen]
    assert lengths == sorted(lengths), "the log shown never shrinks while it streams"
    assert Submission.objects.get().status == "passed"


FOLLOWING = (
    "(() => { const pre = document.getElementById('build-log'); "
    "return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 30; })()"
)
FAILING_IN_VIEW = (
    "(() => { const pre = document.getElementById('build-log'); "
    "const line = pre.querySelector('.log-failing'); "
    "return pre.scrollHeight > pre.clientHeight && line.offsetTop >= pre.scrollTop "
    "&& line.offsetTop < pre.scrollTop + pre.clientHeight; })()"
)


def test_broken_dockerfile_shows_growing_log_failing_step_and_hint(
    page, live_server, redis_url, sandbox_docker, celery_worker_process
):
    log_in_and_open_lab(page, live_server)
    broken = REFERENCE.replace(
        "RUN pip install --no-cache-dir -r requirements.txt",
        'RUN for passo in $(seq 1 40); do echo "passo $passo"; sleep 0.15; done && exit 3',
    )
    page.get_by_label("Dockerfile", exact=True).fill(broken)
    page.get_by_role("button", name="Construir e verificar").click()
    page.get_by_role("heading", name="Entrega #").wait_for()
    # While it builds: new lines are appended to the same element (a mark set on it stays),
    # and the view follows the end of a log longer than the box.
    page.get_by_text("passo 1", exact=True).wait_for()
    page.evaluate("document.getElementById('build-log').dataset.mark = 'first-seen'")
    page.get_by_text("passo 30", exact=True).wait_for()
    assert page.evaluate("document.getElementById('build-log').dataset.mark") == "first-seen"
    assert page.evaluate(
        "(() => { const pre = document.getElementById('build-log'); return pre.scrollHeight > pre.clientHeight; })()"
    ), "the log overflows its box by now"
    assert page.evaluate(FOLLOWING), "the log view follows the newest lines"
    watch_until_done(page)
    assert "Ainda não" in page.locator(".verdict").inner_text()
    failing = page.locator(".log-failing")
    assert failing.count() >= 1 and "RUN for passo" in failing.first.inner_text()
    # The verdict brings the whole log with the failing step marked, scrolled into view.
    page.wait_for_function(FAILING_IN_VIEW)
    build_row = page.locator('tr[data-check="build"]')
    assert "Leia o passo que falhou no log de construção." in build_row.inner_text()
    assert "Linha 9 do Dockerfile" in build_row.inner_text()
