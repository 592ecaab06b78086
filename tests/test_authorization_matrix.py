"""Every URL of the site as anonymous, learner A, learner B and an instructor.

Learners never reach the review queue, instructor pages, other learners' work or unreleased
reviews; instructors reach everything. A new URL fails this test until it is classified."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from labs.models import Submission
from quizzes.models import Attempt
from quizzes.reviews import review_open, review_save
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, lab_from_content, quiz_from_content

pytestmark = pytest.mark.django_db

PUBLIC, LOGIN, OWNER, INSTRUCTOR = "public", "login", "owner", "instructor"

# url name -> (access, method): who may use it, and how it is called.
MATRIX = {
    "home": (PUBLIC, "get"),
    "healthz": (PUBLIC, "get"),
    "favicon": (PUBLIC, "get"),
    "signup": (PUBLIC, "get"),
    "operations": (INSTRUCTOR, "get"),
    "operations-ping": (INSTRUCTOR, "post"),
    "labs:detail": (LOGIN, "get"),
    "labs:submit": (LOGIN, "post"),
    "labs:starter-zip": (LOGIN, "get"),
    "labs:starter-file": (LOGIN, "get"),
    "labs:submissions": (INSTRUCTOR, "get"),
    "labs:regrade-all": (INSTRUCTOR, "post"),
    "labs:scores-csv": (INSTRUCTOR, "get"),
    "labs:scores-xlsx": (INSTRUCTOR, "get"),
    "labs:submission": (OWNER, "get"),
    "labs:regrade": (INSTRUCTOR, "post"),
    "quizzes:detail": (LOGIN, "get"),
    "quizzes:begin": (LOGIN, "post"),
    "quizzes:stats": (INSTRUCTOR, "get"),
    "quizzes:attempt": (OWNER, "get"),
    "quizzes:save-page": (OWNER, "post"),
    "quizzes:autosave": (OWNER, "post"),
    "quizzes:submit": (OWNER, "get"),
    "quizzes:result": (OWNER, "get"),
    "quizzes:review-queue": (INSTRUCTOR, "get"),
    "quizzes:review-next": (INSTRUCTOR, "get"),
    "quizzes:review-blind": (INSTRUCTOR, "post"),
    "quizzes:review-release": (INSTRUCTOR, "post"),
    "quizzes:review-answer": (INSTRUCTOR, "get"),
    "quizzes:gradebook-csv": (INSTRUCTOR, "get"),
    "quizzes:gradebook-xlsx": (INSTRUCTOR, "get"),
    "quizzes:grades-csv": (INSTRUCTOR, "get"),
    "quizzes:grades-xlsx": (INSTRUCTOR, "get"),
}
SKIPPED_NAMESPACES = {"admin"}  # Django's admin guards itself (staff only)
SKIPPED_NAMES = {
    "set_language",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def named_urls(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from named_urls(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


@pytest.fixture
def world(instructor):
    a, b = UserFactory(username="aprendiz-a"), UserFactory(username="aprendiz-b")
    lab = lab_from_content("primeiro-conteiner")
    quiz = quiz_from_content()
    submission = Submission.objects.create(
        learner=a,
        lab=lab,
        dockerfile="FROM python:3.11-slim\n",
        status="failed",
        report={"status": "failed", "checks": [], "rejections": [], "summary": "segredo-de-a"},
        log="log-secreto-de-a",
    )
    attempt = attempt_start(quiz=quiz, learner=a)
    essay = quiz.questions.get(key="q5")
    answer = answer_save(attempt=attempt, question=essay, choice_ids=[], text="resposta-secreta-de-a")
    attempt_submit(attempt=attempt)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[],
        adjustment=1,
        comment="comentario-nao-liberado",
        complete=True,
    )
    open_attempt = attempt_start(quiz=quiz, learner=a)
    kwargs = {
        "labs:detail": {"slug": lab.slug},
        "labs:submit": {"slug": lab.slug},
        "labs:starter-zip": {"slug": lab.slug},
        "labs:starter-file": {"slug": lab.slug, "path": "app.py"},
        "labs:submissions": {"slug": lab.slug},
        "labs:regrade-all": {"slug": lab.slug},
        "labs:scores-csv": {"slug": lab.slug},
        "labs:scores-xlsx": {"slug": lab.slug},
        "labs:submission": {"pk": submission.pk},
        "labs:regrade": {"pk": submission.pk},
        "quizzes:detail": {"slug": quiz.slug},
        "quizzes:begin": {"slug": quiz.slug},
        "quizzes:stats": {"slug": quiz.slug},
        "quizzes:attempt": {"pk": open_attempt.pk},
        "quizzes:save-page": {"pk": open_attempt.pk},
        "quizzes:autosave": {"pk": open_attempt.pk, "question_id": essay.pk},
        "quizzes:submit": {"pk": open_attempt.pk},
        "quizzes:result": {"pk": attempt.pk},
        "quizzes:review-answer": {"pk": answer.pk},
        "quizzes:grades-csv": {"slug": quiz.slug},
        "quizzes:grades-xlsx": {"slug": quiz.slug},
    }
    # Learner A is taking a second attempt: no answer key of the first may reach them now.
    from tests.quizzes.test_quiz_views import secrets_of

    return {"a": a, "b": b, "kwargs": kwargs, "answer_key": secrets_of(quiz)}


def test_every_url_is_classified():
    names = {name for name in named_urls() if name.split(":")[-1] not in SKIPPED_NAMES}
    assert names == set(MATRIX), f"classify: {sorted(names - set(MATRIX))}; stale: {sorted(set(MATRIX) - names)}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(client, world, instructor, name, monkeypatch):
    from labs import tasks

    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *a, **k: None)
    access, method = MATRIX[name]
    url = reverse(name, kwargs=world["kwargs"].get(name, {}))
    call = getattr(client, method)

    anonymous = call(url)
    if access == PUBLIC:
        assert anonymous.status_code == 200
    else:
        assert anonymous.status_code == 302 and "/contas/login/" in anonymous.url, (name, anonymous.status_code)

    client.force_login(world["b"])  # learner B: never A's work, never instructor pages
    response = call(url)
    if access == INSTRUCTOR:
        assert response.status_code == 403
    elif access == OWNER:
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 302, 400)
    body = response.content.decode(errors="replace")
    for secret in ("segredo-de-a", "log-secreto-de-a", "resposta-secreta-de-a", "comentario-nao-liberado"):
        assert secret not in body

    client.force_login(world["a"])  # learner A: own work yes, instructor pages no, unreleased review no
    response = call(url)
    if access == INSTRUCTOR:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302, 400), (name, response.status_code)
    body = response.content.decode(errors="replace")
    assert "comentario-nao-liberado" not in body
    for secret in world["answer_key"]:
        assert secret not in body, (name, secret)

    client.force_login(instructor)
    if access == OWNER and name != "labs:submission" and name != "quizzes:result":
        return  # an instructor reads a learner's attempt on its results page, never answers for them
    if name == "operations-ping":
        return  # waits for a worker; tests/core/test_celery_roundtrip.py covers it with a real one
    response = call(url)
    assert response.status_code in (200, 302, 400), (name, response.status_code)


def test_instructor_reads_learners_work(client, world, instructor):
    client.force_login(instructor)
    assert (
        "log-secreto-de-a"
        in client.get(reverse("labs:submission", kwargs=world["kwargs"]["labs:submission"])).content.decode()
    )
    assert (
        "resposta-secreta-de-a"
        in client.get(
            reverse("quizzes:review-answer", kwargs=world["kwargs"]["quizzes:review-answer"])
        ).content.decode()
    )
    assert Attempt.objects.filter(learner=world["a"]).count() == 2
