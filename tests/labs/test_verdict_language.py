"""A verdict reads in its reader's language, whichever the learner submitted in: the learner's
page and its status poll, the instructor's submission page and check statistics, for reports
stored with their messages as data (schema 2) and for those stored as text only (schema 1)."""

import copy
import html

import pytest
from django.urls import reverse

from labs.grading.runner import grade, reject
from labs.grading.text import render
from labs.grading.types import Finding, HttpOutcome
from labs.models import Submission
from labs.selectors import lab_version
from tests.factories import default_class, offering_of

from .grading.fakes import FakeContainer, FakeSandbox

pytestmark = pytest.mark.django_db

# Builds, but without WORKDIR, EXPOSE, a JSON CMD or a .dockerignore, and the app answers 500.
SLOPPY = "FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n"
HOSTILE = "<script>alert(1)</script>"


def graded(lab, lang):
    sandbox = FakeSandbox(
        container=FakeContainer(http_answers={("GET", 5000, "/"): HttpOutcome(status=500, body="oops")})
    )
    files = {"Dockerfile": SLOPPY.encode(), "app.py": b"print(1)\n", "requirements.txt": b"flask\n"}
    report = grade(spec=lab_version(lab=lab).spec, files=files, sandbox=sandbox, lang=lang).report
    assert report.status == "failed" and report.checks
    return report.to_dict()


def rejected(lab, lang):
    finding = Finding(False, "context.parent_ref", {"path": f"../{HOSTILE}"})
    return reject(spec=lab_version(lab=lab).spec, lang=lang, findings=[finding]).report.to_dict()


def as_schema_1(report):
    """The report as this code stored it before messages were data: the same texts, no data."""
    old = copy.deepcopy(report)
    old["schema"] = 1
    old.pop("summary_data")
    for check in old["checks"]:
        check.pop("message_data")
    for rejection in old["rejections"]:
        rejection.pop("params")
    return old


def stored(lab, learner, report):
    return Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile=SLOPPY,
        lang=report["lang"],
        spec_hash=lab.spec_hash,
        status=report["status"],
        score=report["score"] if report["gradable"] else None,
        max_score=report["max_score"],
        counted=report["gradable"],
        report=report,
    )


def pages(client, submission, lang):
    """The submission page and its status poll, read in `lang`."""
    client.cookies.load({"django_language": "en" if lang == "en" else "pt-br"})
    url = reverse("labs:submission", args=[submission.pk])
    return [client.get(url).content.decode(), client.get(url, headers={"HX-Request": "true"}).content.decode()]


def assert_reads_in(body, data, lang, other):
    """Every text of the schema-2 `data` reads in `lang` in `body`, none in `other`."""
    if data["checks"]:  # a refusal shows its reasons, not the summary that repeats the first
        assert html.escape(render(data["summary_data"], lang)) in body
        assert html.escape(render(data["summary_data"], other)) not in body
    for check in data["checks"]:
        mine, theirs = render(check["message_data"], lang), render(check["message_data"], other)
        assert html.escape(mine).replace("\n", "<br>") in body, (check["id"], mine)
        if mine != theirs:
            assert html.escape(theirs).replace("\n", "<br>") not in body, (check["id"], theirs)
    for rejection in data["rejections"]:
        message = render({"id": rejection["id"], "params": rejection["params"]}, lang)
        assert html.escape(message) in body
        assert html.escape(render({"id": rejection["id"], "params": rejection["params"]}, other)) not in body
    assert data["checks"] or data["rejections"]


@pytest.mark.parametrize("schema", [2, 1])
@pytest.mark.parametrize(("written", "read"), [("pt-BR", "en"), ("en", "pt-BR")])
@pytest.mark.parametrize("make", [graded, rejected])
def test_learner_and_instructor_read_the_verdict_in_their_language(
    client, lab, learner, instructor, schema, written, read, make
):
    data = make(lab, written)
    submission = stored(lab, learner, data if schema == 2 else as_schema_1(data))
    for user in (learner, instructor):
        client.force_login(user)
        for body in pages(client, submission, read):
            assert_reads_in(body, data, read, written)
            if make is graded:
                titles = {"en": "Working directory set", "pt-BR": "Diretório de trabalho definido"}
                assert titles[read] in body and titles[written] not in body
                summaries = {"en": "Not yet", "pt-BR": "Ainda não"}
                assert summaries[read] in body and summaries[written] not in body
            else:
                assert HOSTILE not in body and html.escape(HOSTILE) in body


def test_the_instructors_check_statistics_name_checks_in_their_language(client, lab, learner, instructor):
    stored(lab, learner, as_schema_1(graded(lab, "pt-BR")))
    client.force_login(instructor)
    client.cookies.load({"django_language": "en"})
    body = client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).content.decode()
    assert "Working directory set" in body and "Diretório de trabalho definido" not in body


def test_learner_data_in_a_message_is_escaped_in_either_schema(client, lab, learner):
    data = graded(lab, "pt-BR")
    check = next(c for c in data["checks"] if c["message_data"]["id"] == "rules.failed_list" or c["status"] == "failed")
    check["message_data"] = {"id": "metadata.label", "params": {"name": HOSTILE}}
    check["message"] = render(check["message_data"], "pt-BR")
    for report in (data, as_schema_1(data)):
        submission = stored(lab, learner, report)
        client.force_login(learner)
        for body in pages(client, submission, "en"):
            assert HOSTILE not in body
            assert f"The image lacks the label (LABEL) &#x27;{html.escape(HOSTILE)}&#x27;." in body


def test_a_text_no_template_matches_is_shown_as_stored(client, lab, learner):
    data = as_schema_1(graded(lab, "pt-BR"))
    data["checks"][0]["message"] = "Uma mensagem que o catálogo não conhece."
    submission = stored(lab, learner, data)
    client.force_login(learner)
    for body in pages(client, submission, "en"):
        assert "Uma mensagem que o catálogo não conhece." in body
