"""Marks are a review option of their own, shown or hidden per moment, as in Moodle: during
an attempt, right after it, later while the quiz is open, after it closes. Hidden marks mean
no score, no per-question mark and no total anywhere the learner looks."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from classes.models import Offering
from quizzes.models import Attempt, Quiz
from quizzes.reviews import review_open, review_release, review_save
from quizzes.selectors import marks_visible
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import default_class, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db

MOMENTS = ("marks_during", "marks_immediately", "marks_open", "marks_closed")
MARK = re.compile(r"\d / \d")  # "1 / 1", "3,75 / 14": how a mark is written on every learner page


def test_every_quiz_shows_marks_at_every_moment_unless_told_otherwise():
    quiz = Quiz.objects.create(slug="novo", title="Novo")
    assert all(getattr(offering_of(quiz), name) for name in MOMENTS)
    assert all(getattr(offering_of(quiz_from_content()), name) for name in MOMENTS)


@pytest.mark.parametrize("hidden", MOMENTS)
def test_marks_follow_the_option_of_the_moment(learner, hidden):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(days=1), **{hidden: False})
    attempt = attempt_submit(
        attempt=attempt_start(offering=offering_of(quiz), learner=learner, now=start), now=start + timedelta(minutes=1)
    )
    moments = {
        "marks_immediately": start + timedelta(minutes=1, seconds=30),  # Moodle's "immediately": within 2 minutes
        "marks_open": start + timedelta(minutes=10),
        "marks_closed": start + timedelta(days=2),
    }
    for name, now in moments.items():
        assert marks_visible(attempt=attempt, now=now) is (name != hidden), name
    # During: the learner is taking another attempt of the same quiz.
    attempt_start(offering=offering_of(quiz), learner=learner, now=start + timedelta(minutes=5))
    assert marks_visible(attempt=attempt, now=start + timedelta(minutes=10)) is (hidden != "marks_during")


def test_instructors_always_see_the_marks(learner, instructor):
    quiz = quiz_from_content(**{name: False for name in MOMENTS})
    attempt = attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner))
    assert not marks_visible(attempt=attempt)
    assert marks_visible(attempt=attempt, user=instructor)


def essay_reviewed_and_released(quiz, attempt, instructor, text="Dissertação com reprodutibilidade e MLOps."):
    essay = quiz.questions.get(key="q5")
    answer = attempt.answers.get(question=essay)
    review, _ = review_open(answer=answer, reviewer=instructor)
    levels = [c.levels.get(name="Completa").pk for c in essay.rubric.criteria.all()][:2]
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels,
        adjustment=0.75,
        comment="comentario-liberado",
        complete=True,
    )
    review_release(klass=default_class(), quiz=quiz)


def test_hidden_marks_show_no_score_anywhere_the_learner_looks(client, learner, instructor):
    quiz = quiz_from_content(closes_at=timezone.now() + timedelta(days=1), marks_immediately=False, marks_open=False)
    client.force_login(learner)
    client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
    attempt = Attempt.objects.get(learner=learner)
    q1, essay = quiz.questions.get(key="q1"), quiz.questions.get(key="q5")
    client.post(
        reverse("quizzes:autosave", args=[attempt.pk, q1.pk]),
        {f"q{q1.pk}": q1.choices.get(is_correct=True).pk},
        headers={"HX-Request": "true"},
    )
    client.post(
        reverse("quizzes:autosave", args=[attempt.pk, essay.pk]),
        {f"q{essay.pk}": "Reprodutibilidade e MLOps."},
        headers={"HX-Request": "true"},
    )
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    essay_reviewed_and_released(quiz, attempt, instructor)
    attempt.refresh_from_db()
    assert attempt.score == 3.75

    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    detail = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "Notas ocultas por enquanto" in result and "Nota:" not in result
    assert not MARK.search(result), MARK.search(result)
    assert "3,75" not in result and "2,75" not in result  # neither the total nor the essay's review
    assert "comentario-liberado" in result  # the review's words are feedback, not marks
    assert "Nota no questionário" not in detail and not MARK.search(detail) and "oculta" in detail
    assert "nota 27%" not in home and "27%" not in home
    # Nothing the learner asks for says more.
    for response in (
        client.get(reverse("quizzes:grades-csv", args=[default_class().pk, quiz.slug])),
        client.get(reverse("quizzes:grades-xlsx", args=[default_class().pk, quiz.slug])),
        client.get(reverse("quizzes:gradebook-csv", args=[default_class().pk])),
        client.get(reverse("quizzes:gradebook-xlsx", args=[default_class().pk])),
    ):
        assert response.status_code == 403

    # The instructor's pages are unchanged.
    client.force_login(instructor)
    assert "Nota: 3,75 / 14" in client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "26.8" in client.get(reverse("quizzes:grades-csv", args=[default_class().pk, quiz.slug])).content.decode()

    # After the close, the marks are shown (marks_closed is on).
    Offering.objects.filter(pk=offering_of(quiz).pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    client.force_login(learner)
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "Nota: 3,75 / 14" in result and "Notas ocultas" not in result
    assert (
        "Nota no questionário"
        in client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    )


def test_one_answer_at_a_time_gives_nothing_away_when_marks_wait_for_the_close(client, learner):
    """The attack: change one answer per attempt and compare the totals. With marks hidden
    until the close, every attempt's page reads the same whatever the answers were."""
    quiz = quiz_from_content(
        closes_at=timezone.now() + timedelta(days=1),
        attempts_allowed=0,
        reveal_answers="after_close",
        marks_during=False,
        marks_immediately=False,
        marks_open=False,
    )
    q1 = quiz.questions.get(key="q1")
    client.force_login(learner)
    pages = []
    for choice in q1.choices.order_by("position"):
        client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
        attempt = Attempt.objects.get(learner=learner, status=Attempt.Status.IN_PROGRESS)
        client.post(
            reverse("quizzes:autosave", args=[attempt.pk, q1.pk]),
            {f"q{q1.pk}": choice.pk},
            headers={"HX-Request": "true"},
        )
        client.post(reverse("quizzes:submit", args=[attempt.pk]))
        page = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
        # What differs between attempts is only what the learner chose, never what it was worth.
        page = re.sub(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"', "", page)  # differs per request
        pages.append(
            re.sub(r"\d+", "N", page.replace("chosen", "").replace('<span class="badge">sua resposta</span>', ""))
        )
    detail = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    assert len(set(pages)) == 1
    assert not MARK.search(detail)
    assert all(a.score is not None for a in Attempt.objects.filter(learner=learner))  # graded, only not shown


def test_marks_during_hides_earlier_totals_while_a_new_attempt_is_taken(client, learner):
    quiz = quiz_from_content(marks_during=False)
    client.force_login(learner)
    first = attempt_start(offering=offering_of(quiz), learner=learner)
    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=first, question=q1, choice_ids=[q1.choices.get(is_correct=True).pk], text="")
    attempt_submit(attempt=first)
    detail = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    assert "1 / 14" in detail
    attempt_start(offering=offering_of(quiz), learner=learner)
    detail = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    assert "1 / 14" not in detail and "Nota no questionário" not in detail
    assert "Nota: 1 / 14" not in client.get(reverse("quizzes:result", args=[first.pk])).content.decode()


def home_quiz_badges(client) -> list[str]:
    """The badges of the test class's quiz list on the home page (the labs' own follow it)."""
    page = client.get(reverse("home")).content.decode()
    klass = default_class()
    quizzes = page.split(f'id="quizzes-title-{klass.pk}"', 1)[1].split(f'id="labs-title-{klass.pk}"', 1)[0]
    return re.findall(r'<span class="badge[^"]*"[^>]*>([^<]+)</span>', quizzes)


def test_home_says_submitted_when_the_marks_are_hidden(client, learner):
    quiz = quiz_from_content(
        closes_at=timezone.now() + timedelta(days=1),
        attempts_allowed=0,
        marks_during=False,
        marks_immediately=False,
        marks_open=False,
    )
    client.force_login(learner)
    assert home_quiz_badges(client) == ["não iniciado"]
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    assert home_quiz_badges(client) == ["em andamento"]
    attempt_submit(attempt=attempt)
    assert home_quiz_badges(client) == ["enviado"]
    attempt_start(offering=offering_of(quiz), learner=learner)  # another attempt: in progress is what is happening now
    assert home_quiz_badges(client) == ["em andamento"]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    Attempt.objects.filter(learner=learner, status=Attempt.Status.IN_PROGRESS).delete()
    assert home_quiz_badges(client) == ["submitted"]
    # Once the marks may be seen (the quiz closed; marks_closed is on), the grade is the badge.
    Offering.objects.filter(pk=offering_of(quiz).pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert home_quiz_badges(client) == ["grade 0%"]


def test_home_shows_the_grade_when_the_marks_may_be_seen(client, learner):
    quiz = quiz_from_content()
    attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner))
    client.force_login(learner)
    assert home_quiz_badges(client) == ["nota 0%"]
