"""A released review is a revision: the instructor's autosaved drafts stay private until
saved as a new revision, and the learner keeps seeing (and being graded by) the released one."""

import csv
import io

import pytest
from django.urls import reverse

from quizzes.models import Attempt, Level, Review
from quizzes.reviews import level_set_points, review_open, review_release, review_save
from tests.factories import default_class, quiz_from_content
from tests.quizzes.test_reviews import essay_attempt, levels

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def quiz():
    return quiz_from_content()


def released(quiz, learner, instructor, comment="primeira-versao"):
    answer = essay_attempt(quiz, learner)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa"] * 4),
        adjustment=0,
        comment=comment,
        complete=True,
    )
    review_release(klass=default_class(), quiz=quiz)
    return answer


def test_a_draft_on_a_released_review_stays_private_until_saved(client, quiz, learner, instructor):
    answer = released(quiz, learner, instructor)
    result_url = reverse("quizzes:result", args=[answer.attempt.pk])
    client.force_login(learner)
    assert "Nota: 5 / 14" in client.get(result_url).content.decode()

    client.force_login(instructor)
    review_url = reverse("quizzes:review-answer", args=[answer.pk])
    version = Review.objects.get(answer=answer).version
    draft = client.post(
        review_url,
        {
            "action": "draft",
            "version": version,
            "level": levels(quiz, ["Parcial"] * 4),
            "adjustment": "0",
            "comment": "rascunho-privado",
        },
        headers=HTMX,
    ).content.decode()

    client.force_login(learner)
    page = client.get(result_url).content.decode()
    assert "primeira-versao" in page and "rascunho-privado" not in page and "Nota: 5 / 14" in page
    assert Attempt.objects.get(pk=answer.attempt.pk).score == 5
    # The instructor is told the draft is private.
    assert "Rascunho salvo" in draft and "o aluno continua vendo a versão liberada" in draft
    client.force_login(instructor)
    sheet = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("quizzes:grades-csv", args=[default_class().pk, quiz.slug])).content.decode()
            )
        )
    )
    assert dict(zip(*sheet, strict=True))["q5 (4)"] == "4"  # the grade in force is the released one

    # Saved: a new revision, shown at once (the review was released already), and graded by.
    saved = client.post(
        review_url,
        {
            "action": "save",
            "version": version + 1,
            "level": levels(quiz, ["Parcial"] * 4),
            "adjustment": "0",
            "comment": "rascunho-privado",
        },
    )
    assert saved.status_code == 302
    client.force_login(learner)
    page = client.get(result_url).content.decode()
    assert "rascunho-privado" in page and "primeira-versao" not in page and "Nota: 3 / 14" in page
    assert Attempt.objects.get(pk=answer.attempt.pk).score == 3


def test_release_publishes_the_last_saved_revision_not_a_later_draft(client, quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review = review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa"] * 4),
        adjustment=0,
        comment="versao-salva",
        complete=True,
    )
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[],
        adjustment=0,
        comment="rascunho-depois",
        complete=False,
    )
    assert review_release(klass=default_class(), quiz=quiz) == 1
    client.force_login(learner)
    page = client.get(reverse("quizzes:result", args=[answer.attempt.pk])).content.decode()
    assert "versao-salva" in page and "rascunho-depois" not in page and "Nota: 5 / 14" in page


def test_a_level_change_reaches_the_released_revision_and_the_draft(quiz, learner, instructor):
    answer = released(quiz, learner, instructor)
    review = Review.objects.get(answer=answer)
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Parcial"] * 4),
        adjustment=0,
        comment="rascunho",
        complete=False,
    )
    complete = Level.objects.get(criterion__name="Reprodutibilidade", name="Completa")
    assert level_set_points(level=complete, points=0.75) == 1
    review.refresh_from_db()
    assert review.revision_score == 3.75 and review.score == 2  # the draft chose no "Completa"
    assert Attempt.objects.get(pk=answer.attempt.pk).score == 1 + 3.75


@pytest.mark.postgres
def test_drafts_and_revisions_under_row_locks(quiz, learner, instructor):
    """The same on PostgreSQL, where a save locks the review's row: only that row (the
    claimant and the answer it reads are joins a row lock cannot take)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL: make test runs it in its second pass, with DATABASE_URL")
    answer = released(quiz, learner, instructor)
    review = Review.objects.get(answer=answer)
    review = review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[],
        adjustment=0,
        comment="rascunho",
        complete=False,
    )
    assert Attempt.objects.get(pk=answer.attempt.pk).score == 5 and review.revision_comment == "primeira-versao"
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[],
        adjustment=0,
        comment="segunda",
        complete=True,
    )
    assert Attempt.objects.get(pk=answer.attempt.pk).score == 1
