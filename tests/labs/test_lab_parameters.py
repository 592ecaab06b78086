"""Lab parameters drawn per learner: stored once, balanced in the class, shown on the pages,
recorded on each submission and used by its grading (the real sandbox in the last test)."""

import csv
import io
import json

import pytest
from django.urls import reverse

from labs.content import find_lab
from labs.grading.spec import parse_spec
from labs.grading.types import HttpOutcome
from labs.models import ParameterDraw, Submission
from labs.selectors import lab_spec
from labs.selftest import with_values
from labs.services import parameter_values_for, submission_create, submission_grade, submission_regrade
from tests.factories import UserFactory, default_class, lab_from_content, offering_of, other_class

from .grading.fakes import FakeContainer, FakeSandbox

pytestmark = pytest.mark.django_db

LAB = "api-modelo-ml"
REFERENCE = open(f"content/labs/{LAB}/reference/Dockerfile").read()
DOCKERIGNORE = open(f"content/labs/{LAB}/reference/.dockerignore", "rb").read()
PREDICTION = HttpOutcome(
    status=200, body=json.dumps({"classe": 0, "especie": "setosa", "probabilidades": [0.98, 0.02, 0.0]})
)


@pytest.fixture
def lab():
    return lab_from_content(LAB)


def reference_for(values) -> str:
    return with_values({"Dockerfile": REFERENCE.encode()}, values, find_lab(LAB).reference_dir)["Dockerfile"].decode()


def page(client, lab) -> str:
    return client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()


def test_a_learner_gets_values_once_stored_and_sees_them_in_the_instructions(client, learner, lab):
    client.force_login(learner)
    first = page(client, lab)
    draw = ParameterDraw.objects.get(learner=learner, offering=offering_of(lab))
    port, user = draw.values["port"], draw.values["user"]
    assert 5000 <= port <= 5099 and user in {"appuser", "apiuser", "mluser", "modelo", "servico"}
    assert "Seus valores" in first and f'<code data-parameter="port">{port}</code>' in first
    assert f"<code>EXPOSE {port}</code>" in first and f"<code>USER {user}</code>" in first
    assert f"Porta {port} exposta" in first  # the checks' titles too
    assert "‹" not in first and "{{" not in first
    # Shown again, and after the content is reloaded: the same values, one row.
    lab_from_content(LAB)
    assert f'<code data-parameter="port">{port}</code>' in page(client, lab)
    assert ParameterDraw.objects.filter(learner=learner).count() == 1


def test_classmates_get_different_values_and_another_class_draws_its_own(lab):
    spec = lab_spec(lab=lab)
    offering = offering_of(lab)
    learners = [UserFactory(username=f"colega-{i}") for i in range(8)]
    drawn = [parameter_values_for(learner=someone, offering=offering, spec=spec) for someone in learners]
    assert len({(d["port"], d["user"]) for d in drawn}) == 8
    # Stable: asked again, nothing is drawn anew.
    assert parameter_values_for(learner=learners[0], offering=offering, spec=spec) == drawn[0]
    elsewhere = offering_of(lab, klass=other_class())
    parameter_values_for(learner=learners[0], offering=elsewhere, spec=spec)
    assert ParameterDraw.objects.filter(learner=learners[0]).count() == 2


def test_an_edited_spec_never_changes_drawn_values_and_draws_only_a_new_parameter(learner, lab):
    offering = offering_of(lab)
    before = parameter_values_for(learner=learner, offering=offering, spec=lab_spec(lab=lab))
    text = open(f"content/labs/{LAB}/lab.yaml").read()
    edited = parse_spec(
        text.replace("range: [5000, 5099]", "range: [6000, 6009]").replace(
            "bases:\n", "  - name: tag\n    label: Tag\n    choices: [v1, v2]\nbases:\n", 1
        )
    )
    after = parameter_values_for(learner=learner, offering=offering, spec=edited)
    assert after == {**before, "tag": after["tag"]} and after["tag"] in {"v1", "v2"}
    assert edited.resolve(after).checks[-2].port == before["port"]  # kept, though off the new range


def test_staff_read_what_varies_and_get_no_draw(client, instructor, lab):
    client.force_login(instructor)
    body = page(client, lab)
    assert "Valores sorteados por aprendiz" in body and "5000–5099" in body and "appuser, apiuser" in body
    assert "<code>EXPOSE ‹Porta›</code>" in body
    assert not ParameterDraw.objects.exists()


def test_a_lab_without_parameters_draws_nothing(client, learner):
    lab = lab_from_content("primeiro-conteiner")
    client.force_login(learner)
    assert "Seus valores" not in page(client, lab)
    assert not ParameterDraw.objects.exists()


def test_submission_is_graded_with_its_values_shown_and_kept_by_a_regrade(
    client, learner, instructor, lab, monkeypatch, no_tasks
):
    from labs import grading_service

    client.force_login(learner)
    page(client, lab)
    values = ParameterDraw.objects.get(learner=learner).values
    submission = submission_create(
        learner=learner,
        offering=offering_of(lab),
        dockerfile=reference_for(values),
        uploads={".dockerignore": DOCKERIGNORE},
        lang="pt-BR",
    )
    assert submission.parameters == values
    # A sandbox whose image and app follow the learner's Dockerfile: their port, their user.
    sandbox = FakeSandbox(container=FakeContainer(http_answers={("POST", values["port"], "/predict"): PREDICTION}))
    sandbox.facts = sandbox.facts.__class__(
        **{**sandbox.facts.__dict__, "user": values["user"], "exposed_ports": [f"{values['port']}/tcp"]}
    )
    monkeypatch.setattr(grading_service, "DockerSandbox", lambda url, **kwargs: sandbox)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "passed"
    submission.refresh_from_db()
    assert submission.report["parameters"] == values

    mine = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    assert "Seus valores" in mine and f"<code>{values['port']}</code>" in mine
    assert f"Porta {values['port']} exposta" in mine

    client.force_login(instructor)
    theirs = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    assert "Os valores do aprendiz" in theirs and f"<code>{values['user']}</code>" in theirs
    listing = client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).content.decode()
    assert f"<code>port={values['port']}</code>" in listing
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("labs:scores-csv", args=[default_class().pk, lab.slug])).text))
    )
    assert rows[0][-2:] == ["param_port", "param_user"]
    assert rows[1][0] == learner.username and rows[1][-2:] == [str(values["port"]), values["user"]]

    assert submission_regrade(submission=submission)
    assert Submission.objects.get(pk=submission.pk).parameters == values


@pytest.mark.docker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_dockerfile_with_another_learners_values_fails_naming_their_own(
    learner, other_learner, lab, sandbox_docker, redis_url, no_tasks
):
    """Against the real sandbox: learner A's reference-like Dockerfile passes for A, and the
    same file sent by B (another port and user drawn) fails, each miss naming B's value."""
    offering = offering_of(lab)
    mine = parameter_values_for(learner=learner, offering=offering, spec=lab_spec(lab=lab))
    users = ["appuser", "apiuser", "mluser", "modelo", "servico"]
    theirs = {"port": 5000 + (mine["port"] - 4999) % 100, "user": users[(users.index(mine["user"]) + 1) % 5]}
    ParameterDraw.objects.create(offering=offering, learner=other_learner, values=theirs)
    dockerfile = reference_for(mine)

    def graded(who):
        sent = submission_create(
            learner=who, offering=offering, dockerfile=dockerfile, uploads={".dockerignore": DOCKERIGNORE}, lang="pt-BR"
        )
        submission_grade(submission_id=sent.pk, worker_host="pytest-parameters")
        return Submission.objects.get(pk=sent.pk)

    passed = graded(learner)
    assert passed.status == "passed" and passed.score == passed.max_score, passed.report
    assert passed.parameters == mine

    failed = graded(other_learner)
    assert failed.status == "failed" and failed.parameters == theirs
    checks = {c["id"]: c for c in failed.report["checks"]}
    not_passed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert not_passed == {"expose", "image-user", "gunicorn", "predict"}
    assert checks["expose"]["message"].startswith(
        f"Sua porta é {theirs['port']} (sorteada para você); a imagem expõe {mine['port']}."
    )
    assert (
        f"Seu usuário é {theirs['user']} (sorteado para você); a imagem roda como {mine['user']}."
        in (checks["image-user"]["message"])
    )
    assert checks["predict"]["message"].startswith(f"Sua porta é {theirs['port']} (sorteada para você)")
    assert f"porta {mine['port']}" in checks["predict"]["message"]
