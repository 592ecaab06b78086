import csv
import io

import pytest
from django.urls import reverse

from labs.models import Submission
from labs.selectors import lab_spec
from quizzes.models import Level, Review
from quizzes.reviews import (
    ReviewConflict,
    attempt_rescore,
    level_set_points,
    next_answer_to_review,
    review_counts,
    review_open,
    review_release,
    review_save,
    stable_order_key,
)
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, lab_from_content, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    return quiz_from_content()


def essay_attempt(quiz, learner, text="Docker garante reprodutibilidade e eficiência no MLOps."):
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=attempt, question=q1, choice_ids=[q1.choices.get(is_correct=True).pk], text="")
    essay = quiz.questions.get(key="q5")
    answer = answer_save(attempt=attempt, question=essay, choice_ids=[], text=text)
    attempt_submit(attempt=attempt)
    return answer


def levels(quiz, names):
    """One level per criterion of q5's rubric, by level name, in criterion order (the first ones only
    when fewer names are given)."""
    rubric = quiz.questions.get(key="q5").rubric
    return [c.levels.get(name=name).pk for c, name in zip(rubric.criteria.all(), names, strict=False)]


def test_q5_ships_with_a_rubric_worth_the_question(quiz):
    rubric = quiz.questions.get(key="q5").rubric
    assert [c.name for c in rubric.criteria.all()] == ["Reprodutibilidade", "Eficiência", "MLOps", "XAI"]
    assert rubric.max_points == quiz.questions.get(key="q5").points == 4
    assert quiz.questions.get(key="q5").snippets.count() == 4


def test_grade_release_and_final_grade(quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    attempt = answer.attempt
    attempt.refresh_from_db()
    assert attempt.pending_review and attempt.score == 1
    review, holder = review_open(answer=answer, reviewer=instructor)
    assert holder == ""
    review = review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa", "Parcial", "Completa", "Ausente"]),
        adjustment=0.25,
        comment="Bom trabalho.",
        complete=True,
    )
    assert review.score == 2.75 and review.is_complete
    attempt.refresh_from_db()
    assert attempt.score == 1 and attempt.pending_review  # hidden until released
    assert review_counts(klass=default_class(), quiz=quiz) == {"total": 1, "to_review": 0, "reviewed": 1, "released": 0}
    assert review_release(klass=default_class(), quiz=quiz) == 1
    attempt.refresh_from_db()
    assert attempt.score == 3.75 and not attempt.pending_review
    assert review_counts(klass=default_class(), quiz=quiz)["released"] == 1


def test_score_is_capped_to_the_question(quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review = review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa"] * 4),
        adjustment=3,
        comment="",
        complete=True,
    )
    assert review.score == 4


def test_two_instructors_cannot_overwrite_each_other(quiz, learner, instructor):
    other = UserFactory(username="outro-instrutor", instructor=True)
    answer = essay_attempt(quiz, learner)
    review, holder = review_open(answer=answer, reviewer=instructor)
    _, holder = review_open(answer=answer, reviewer=other)
    assert holder  # claimed: the second instructor is told who holds it
    with pytest.raises(ReviewConflict, match="está corrigindo"):
        review_save(
            review_id=review.pk,
            reviewer=other,
            version=review.version,
            level_ids=[],
            adjustment=0,
            comment="x",
            complete=True,
        )
    saved = review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[],
        adjustment=1,
        comment="a",
        complete=False,
    )
    with pytest.raises(ReviewConflict, match="mudou desde que você"):
        review_save(
            review_id=review.pk,
            reviewer=instructor,
            version=review.version,
            level_ids=[],
            adjustment=2,
            comment="b",
            complete=True,
        )
    assert Review.objects.get(pk=review.pk).comment == "a" and saved.version == review.version + 1


def test_grade_next_uses_a_stable_order_and_skips_claimed(quiz, instructor):
    answers = [essay_attempt(quiz, UserFactory(username=f"a{i}")) for i in range(12)]
    order = sorted(answers, key=stable_order_key)
    # A keyed hash, not arrival: twelve answers in arrival order by chance is 1 in 479 million.
    assert [a.pk for a in order] != [a.pk for a in answers]
    first = next_answer_to_review(klass=default_class(), reviewer=instructor, quiz=quiz)
    assert first == order[0] == next_answer_to_review(klass=default_class(), reviewer=instructor, quiz=quiz)
    assert first is not None
    other = UserFactory(username="outro", instructor=True)
    review_open(answer=first, reviewer=other)  # claimed by someone else: skipped
    assert next_answer_to_review(klass=default_class(), reviewer=instructor, quiz=quiz) == order[1]


def test_changing_a_level_rescores_reviews_and_says_how_many(quiz, instructor):
    reviews = []
    for i, names in enumerate((["Completa"] * 4, ["Parcial"] * 4, ["Completa", "Ausente", "Ausente", "Ausente"])):
        answer = essay_attempt(quiz, UserFactory(username=f"l{i}"))
        review, _ = review_open(answer=answer, reviewer=instructor)
        reviews.append(
            review_save(
                review_id=review.pk,
                reviewer=instructor,
                version=review.version,
                level_ids=levels(quiz, names),
                adjustment=0,
                comment="",
                complete=True,
            )
        )
    review_release(klass=default_class(), quiz=quiz)
    complete_repro = Level.objects.get(criterion__name="Reprodutibilidade", name="Completa")
    assert level_set_points(level=complete_repro, points=0.75) == 2
    assert [Review.objects.get(pk=r.pk).score for r in reviews] == [3.75, 2, 0.75]
    attempt = reviews[0].answer.attempt
    attempt.refresh_from_db()
    assert attempt.score == 1 + 3.75  # released grades follow the change


def test_learner_sees_only_released_feedback(client, quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa"] * 4),
        adjustment=0,
        comment="Comentário secreto até liberar",
        complete=True,
    )
    client.force_login(learner)
    url = reverse("quizzes:result", args=[answer.attempt.pk])
    assert "Comentário secreto até liberar" not in client.get(url).content.decode()
    review_release(klass=default_class(), quiz=quiz, question=answer.question)
    body = client.get(url).content.decode()
    assert "Comentário secreto até liberar" in body and "Reprodutibilidade" in body and "Nota: 5 / 14" in body


def test_review_views_autosave_and_stale_refusal(client, quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    client.force_login(instructor)
    page = client.get(reverse("quizzes:review-answer", args=[answer.pk])).content.decode()
    assert "Reprodutibilidade" in page and answer.text in page
    review = Review.objects.get(answer=answer)
    url = reverse("quizzes:review-answer", args=[answer.pk])
    draft = client.post(
        url,
        {
            "action": "draft",
            "version": review.version,
            "level": levels(quiz, ["Parcial"]),
            "adjustment": "0",
            "comment": "rascunho",
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Rascunho salvo" in draft and f'value="{review.version + 1}"' in draft
    stale = client.post(url, {"action": "save", "version": review.version, "comment": "velho"})
    assert stale.status_code == 409 and "mudou desde que você" in stale.content.decode()
    saved = client.post(
        url, {"action": "next", "version": review.version + 1, "level": levels(quiz, ["Completa"] * 4), "comment": "ok"}
    )
    assert saved.status_code == 302 and reverse("quizzes:review-next", args=[default_class().pk]) in saved.url
    assert Review.objects.get(answer=answer).is_complete


def test_blind_review_hides_names(client, quiz, learner, instructor):
    learner.first_name = "Nome Visível"
    learner.save()
    answer = essay_attempt(quiz, learner)
    client.force_login(instructor)
    assert "Nome Visível" in client.get(reverse("quizzes:review-queue", args=[default_class().pk])).content.decode()
    client.post(
        reverse("quizzes:review-blind", args=[default_class().pk]),
        {"next": reverse("quizzes:review-queue", args=[default_class().pk])},
    )
    assert "Nome Visível" not in client.get(reverse("quizzes:review-queue", args=[default_class().pk])).content.decode()
    assert "Nome Visível" not in client.get(reverse("quizzes:review-answer", args=[answer.pk])).content.decode()


def test_csv_exports(client, quiz, learner, instructor):
    learner.first_name = "=cmd|' /C calc'!A0"
    learner.save()
    answer = essay_attempt(quiz, learner)
    review, _ = review_open(answer=answer, reviewer=instructor)
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa"] * 4),
        adjustment=0,
        comment="",
        complete=True,
    )
    review_release(klass=default_class(), quiz=quiz)
    client.force_login(instructor)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("quizzes:grades-csv", args=[default_class().pk, quiz.slug])).content.decode()
            )
        )
    )
    header, row = rows
    assert header[:3] == ["username", "name", "attempts"] and header[-2:] == ["final_grade_percent", "pending_review"]
    values = dict(zip(header, row, strict=True))
    assert values["name"].startswith("'=") and values["q1 (1)"] == "1" and values["q5 (4)"] == "4"
    assert values["final_grade_percent"] == f"{100 * 5 / 14:.1f}" and values["pending_review"] == "no"
    lab = lab_from_content("primeiro-conteiner")
    for score, counted in ((60, True), (85, True), (100, False)):  # an uncounted one (an error) never counts
        Submission.objects.create(
            learner=learner,
            lab=lab,
            offering=offering_of(lab),
            dockerfile="FROM python:3.11-slim\n",
            status="passed",
            score=score,
            max_score=100,
            counted=counted,
        )
    book = list(
        csv.reader(
            io.StringIO(client.get(reverse("quizzes:gradebook-csv", args=[default_class().pk])).content.decode())
        )
    )
    # Each column states its unit: percent for a quiz, points of the lab's maximum for a lab.
    lab_column = f"lab:primeiro-conteiner (points of {lab_spec(lab=lab).max_score})"
    assert book[0][:3] == ["username", "name", "quiz:aula-45 (%)"] and lab_column in book[0]
    mine = dict(zip(book[0], next(row for row in book[1:] if row[0] == learner.username), strict=True))
    assert mine["quiz:aula-45 (%)"] == f"{100 * 5 / 14:.1f}"
    assert float(mine[lab_column]) == 85


def test_attempt_rescore_counts_blank_essays_as_zero_not_pending(quiz, learner):
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    answer_save(attempt=attempt, question=quiz.questions.get(key="q5"), choice_ids=[], text="   ")
    attempt = attempt_submit(attempt=attempt)
    assert not attempt.pending_review
    assert not attempt_rescore(attempt=attempt).pending_review
