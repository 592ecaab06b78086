"""A learner who graded a lab in Portuguese reads the verdict in English after switching the
interface's language: the summary, the check titles and the messages, not only the page's own
words. The report is made by the engine's pure functions (no sandbox needed)."""

import pytest
from django.urls import reverse

from labs.grading.runner import grade
from labs.grading.types import HttpOutcome
from labs.models import Submission
from labs.selectors import lab_version
from tests.factories import UserFactory, lab_from_content, offering_of
from tests.labs.grading.fakes import FakeContainer, FakeSandbox

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLOPPY = "FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n"


def test_a_verdict_graded_in_portuguese_reads_in_english(page, live_server):
    learner = UserFactory(username="ana", first_name="Ana")
    lab = lab_from_content("primeiro-conteiner")
    sandbox = FakeSandbox(container=FakeContainer(http_answers={("GET", 5000, "/"): HttpOutcome(status=500, body="")}))
    files = {"Dockerfile": SLOPPY.encode(), "app.py": b"print(1)\n", "requirements.txt": b"flask\n"}
    report = grade(spec=lab_version(lab=lab).spec, files=files, sandbox=sandbox, lang="pt-BR").report
    submission = Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile=SLOPPY,
        lang="pt-BR",
        spec_hash=lab.spec_hash,
        status=str(report.status),
        score=report.score,
        max_score=report.max_score,
        counted=True,
        report=report.to_dict(),
    )
    log_in(page, live_server, "ana", reverse("labs:submission", args=[submission.pk]))
    assert "Ainda não" in page.locator(".verdict").inner_text()
    assert page.get_by_text("Diretório de trabalho definido").is_visible()

    page.get_by_label("Idioma").select_option("en")
    page.locator("html[lang=en]").wait_for()
    verdict = page.locator(".verdict").inner_text()
    assert "Not yet" in verdict and "Ainda não" not in verdict
    assert page.get_by_text("Working directory set").is_visible()
    checks = page.locator("table.checks").inner_text()
    assert "Diretório de trabalho definido" not in checks and "Dica" not in checks
    assert "/ answered 500, expected 200." in checks  # the HTTP check's message, in English
