"""An attempt takes answers only while the quiz is open by its current dates and the attempt's
own time limit; past that it is finished with what was saved, on the next request that
touches it and by the periodic task. No answer key reaches a learner with an attempt open."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from classes.models import Offering
from quizzes.models import Attempt
from quizzes.reviews import review_open, review_release, review_save
from quizzes.selectors import can_reveal
from quizzes.services import QuizClosed, answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def right(question):
    return [question.choices.get(is_correct=True).pk]


def move_dates(quiz, **dates):
    """What the teacher does in the admin: a save of the quiz's offering in the class with new
    dates (or settings), loaded afresh as the admin loads it."""
    offering = Offering.objects.get(pk=offering_of(quiz).pk)
    for name, value in dates.items():
        setattr(offering, name, value)
    offering.save()
    return quiz


def test_moving_the_close_date_earlier_stops_answers_and_finishes_the_attempt(learner):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(days=1))
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    q1, q2 = quiz.questions.get(key="q1"), quiz.questions.get(key="q2")
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(minutes=1))
    close = start + timedelta(minutes=10)
    move_dates(quiz, closes_at=close)
    # `attempt` still carries the quiz as it was loaded: the service must read the dates now.
    with pytest.raises(QuizClosed, match="fechou"):
        answer_save(attempt=attempt, question=q2, choice_ids=right(q2), text="", now=start + timedelta(minutes=11))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and attempt.auto_submitted
    assert attempt.submitted_at == close and attempt.score == 1
    assert not attempt.answers.filter(question=q2).exists()
    with pytest.raises(QuizClosed):
        answer_save(attempt=attempt, question=q2, choice_ids=right(q2), text="", now=start + timedelta(minutes=12))


def test_a_submit_after_the_new_close_date_keeps_only_what_was_saved_before_it(learner):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(days=1))
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(minutes=1))
    move_dates(quiz, closes_at=start + timedelta(minutes=5))
    submitted = attempt_submit(attempt=attempt, now=start + timedelta(minutes=30))
    assert submitted.auto_submitted and submitted.submitted_at == start + timedelta(minutes=5) and submitted.score == 1


def test_a_later_close_date_keeps_an_open_attempt_going(learner):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(minutes=10))
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    move_dates(quiz, closes_at=start + timedelta(days=1))
    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(minutes=20))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.answers.count() == 1


def test_the_time_limit_still_ends_the_attempt_before_a_later_close(learner):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(days=1), time_limit_minutes=15)
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    q1 = quiz.questions.get(key="q1")
    with pytest.raises(QuizClosed, match="tempo"):
        answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(minutes=16))
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == start + timedelta(minutes=15)


def test_a_quiz_moved_to_open_later_takes_no_answers_and_keeps_the_attempt(learner):
    start = timezone.now()
    quiz = quiz_from_content()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    move_dates(quiz, opens_at=start + timedelta(days=1))
    q1 = quiz.questions.get(key="q1")
    with pytest.raises(QuizClosed, match="ainda não abriu"):
        answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(minutes=1))
    with pytest.raises(QuizClosed, match="ainda não abriu"):
        attempt_submit(attempt=attempt, now=start + timedelta(minutes=1))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and not attempt.answers.exists()
    # Once it opens again, the same attempt goes on.
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=start + timedelta(days=1, minutes=1))
    assert attempt.answers.count() == 1


def test_the_periodic_task_finishes_overdue_attempts_and_only_those():
    from config.celery import app
    from quizzes.tasks import finish_overdue_attempts

    now = timezone.now()
    quiz = quiz_from_content(time_limit_minutes=30)
    late = attempt_start(
        offering=offering_of(quiz), learner=UserFactory(username="atrasada"), now=now - timedelta(minutes=40)
    )
    fresh = attempt_start(
        offering=offering_of(quiz), learner=UserFactory(username="em-dia"), now=now - timedelta(minutes=5)
    )
    assert finish_overdue_attempts() == 1
    late.refresh_from_db()
    assert late.status == Attempt.Status.SUBMITTED and late.auto_submitted and late.submitted_at == late.deadline
    fresh.refresh_from_db()
    assert fresh.status == Attempt.Status.IN_PROGRESS
    # The task reads the dates as they are now: the quiz closed a minute ago, so every open attempt ends.
    closing = attempt_start(
        offering=offering_of(quiz), learner=UserFactory(username="fechando"), now=now - timedelta(minutes=2)
    )
    close = now - timedelta(minutes=1)
    move_dates(quiz, closes_at=close)
    assert finish_overdue_attempts() == 2
    for attempt in (fresh, closing):
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.SUBMITTED and attempt.auto_submitted and attempt.submitted_at == close
    assert finish_overdue_attempts() == 0  # safe to run twice
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "quizzes.finish_overdue_attempts" in beat and "quizzes.finish_overdue_attempts" in app.tasks


def test_the_periodic_task_leaves_attempts_with_time_left():
    from quizzes.tasks import finish_overdue_attempts

    now = timezone.now()
    quiz = quiz_from_content(time_limit_minutes=30, closes_at=now + timedelta(days=1))
    attempt = attempt_start(
        offering=offering_of(quiz), learner=UserFactory(username="com-tempo"), now=now - timedelta(minutes=5)
    )
    assert finish_overdue_attempts() == 0
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS


# -- the learner's side ------------------------------------------------------------------------


@pytest.fixture
def quiz():
    return quiz_from_content(closes_at=timezone.now() + timedelta(days=1))


def start(client, quiz):
    response = client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
    assert response.status_code == 302, response
    return Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).latest("pk")


def test_the_learner_is_told_the_quiz_closed_on_every_way_in(client, learner, quiz):
    client.force_login(learner)
    attempt = start(client, quiz)
    q1, q2 = quiz.questions.get(key="q1"), quiz.questions.get(key="q2")
    saved = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, q1.pk]), {f"q{q1.pk}": right(q1)[0]}, headers=HTMX
    )
    assert "Salvo às" in saved.content.decode()
    move_dates(quiz, closes_at=timezone.now() - timedelta(seconds=1))

    refused = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, q2.pk]), {f"q{q2.pk}": right(q2)[0]}, headers=HTMX
    )
    result_url = reverse("quizzes:result", args=[attempt.pk])
    assert refused.status_code == 200 and refused["HX-Redirect"] == result_url
    # django-htmx's answer: htmx follows the header and swaps nothing, so no body, no Location.
    assert isinstance(refused, HttpResponseClientRedirect) and not refused.has_header("Location")
    result = client.get(result_url).content.decode()
    assert "O questionário fechou; sua tentativa foi enviada com as respostas salvas antes do fechamento." in result
    assert "Enviada automaticamente quando o questionário fechou." in result
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and attempt.score == 1
    assert not attempt.answers.filter(question=q2).exists()
    # Every other way in says the same, never a 500, and changes nothing.
    for response in (
        client.get(reverse("quizzes:attempt", args=[attempt.pk])),
        client.post(
            reverse("quizzes:save-page", args=[attempt.pk]), {"page": 1, "go": "submit", f"q{q2.pk}": right(q2)[0]}
        ),
        client.post(reverse("quizzes:submit", args=[attempt.pk])),
        client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug])),
    ):
        assert response.status_code == 302, response
    assert not attempt.answers.filter(question=q2).exists()
    assert Attempt.objects.filter(learner=learner).count() == 1


def test_the_attempt_page_finishes_an_attempt_whose_quiz_closed(client, learner, quiz):
    client.force_login(learner)
    attempt = start(client, quiz)
    move_dates(quiz, closes_at=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("quizzes:attempt", args=[attempt.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("quizzes:result", args=[attempt.pk])
    assert "O questionário fechou" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED


def test_the_learner_is_told_when_the_quiz_was_moved_to_open_later(client, learner, quiz):
    client.force_login(learner)
    attempt = start(client, quiz)
    move_dates(quiz, opens_at=timezone.now() + timedelta(hours=1))
    q1 = quiz.questions.get(key="q1")
    refused = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, q1.pk]), {f"q{q1.pk}": right(q1)[0]}, headers=HTMX
    )
    assert refused["HX-Redirect"] == reverse("quizzes:detail", args=[default_class().pk, quiz.slug])
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk]), follow=True).content.decode()
    assert "Este questionário ainda não abriu" in page
    assert client.post(reverse("quizzes:submit", args=[attempt.pk])).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and not attempt.answers.exists()


def test_the_english_message_when_the_quiz_closed(client, learner, quiz):
    client.force_login(learner)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    attempt = start(client, quiz)
    move_dates(quiz, closes_at=timezone.now() - timedelta(seconds=1))
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk]), follow=True).content.decode()
    assert "The quiz closed; your attempt was submitted with the answers saved before it closed." in page
    assert "Submitted automatically when the quiz closed." in page


# -- no answer key while another attempt is open -----------------------------------------------


def secrets_of(quiz) -> list[str]:
    from tests.quizzes.test_quiz_views import secrets_of as secrets

    return secrets(quiz)


@pytest.mark.parametrize("reveal", ["immediately", "after_last_attempt", "after_close"])
def test_no_reveal_mode_shows_the_key_while_an_attempt_is_open(learner, reveal):
    now = timezone.now()
    quiz = quiz_from_content(reveal_answers=reveal, attempts_allowed=2, closes_at=now + timedelta(days=1))
    first = attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner, now=now), now=now)
    attempt_start(offering=offering_of(quiz), learner=learner, now=now + timedelta(minutes=1))
    after_close = now + timedelta(days=2)
    # The second attempt is still "in progress" in the table: even a reading past the close
    # date must not show the key before that attempt is finished.
    assert not can_reveal(attempt=first, now=now + timedelta(minutes=2))
    assert not can_reveal(attempt=first, now=after_close)


def test_the_result_page_hides_key_and_reviews_while_another_attempt_is_open(client, learner, instructor, quiz):
    essay = quiz.questions.get(key="q5")
    first = attempt_start(offering=offering_of(quiz), learner=learner)
    answer = answer_save(attempt=first, question=essay, choice_ids=[], text="Minha primeira dissertação.")
    attempt_submit(attempt=first)
    review, _ = review_open(answer=answer, reviewer=instructor)
    level = essay.rubric.criteria.first().levels.order_by("-points").first()
    review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=[level.pk],
        adjustment=0,
        comment="comentario-liberado",
        complete=True,
    )
    review_release(klass=default_class(), quiz=quiz)
    client.force_login(learner)
    url = reverse("quizzes:result", args=[first.pk])
    before = client.get(url).content.decode()
    assert "Explicação" in before and "comentario-liberado" in before and level.description in before

    second = start(client, quiz)
    during = client.get(url).content.decode()
    for secret in [
        *secrets_of(quiz),
        "comentario-liberado",
        level.description,
        "Explicação",
        "result-right",
        "result-wrong",
        'badge badge-ok">correta',
    ]:
        assert secret not in during, secret
    assert "as respostas corretas, as explicações e as correções das outras tentativas ficam ocultas" in during

    client.post(reverse("quizzes:submit", args=[second.pk]))
    assert "comentario-liberado" in client.get(url).content.decode()


def test_with_reveal_after_close_the_key_waits_until_the_open_attempt_is_finished(client, learner, quiz):
    quiz = move_dates(quiz, reveal_answers="after_close", attempts_allowed=2)
    client.force_login(learner)
    first = start(client, quiz)
    client.post(reverse("quizzes:submit", args=[first.pk]))
    second = start(client, quiz)
    q1, q2 = quiz.questions.get(key="q1"), quiz.questions.get(key="q2")
    client.post(reverse("quizzes:autosave", args=[second.pk, q1.pk]), {f"q{q1.pk}": right(q1)[0]}, headers=HTMX)
    move_dates(quiz, closes_at=timezone.now() - timedelta(seconds=1))
    # Reading the first attempt's key finishes the second before showing anything.
    result = client.get(reverse("quizzes:result", args=[first.pk])).content.decode()
    second.refresh_from_db()
    assert second.status == Attempt.Status.SUBMITTED and second.auto_submitted
    assert "Explicação" in result
    # ... and from then on the second attempt takes nothing.
    client.post(reverse("quizzes:autosave", args=[second.pk, q2.pk]), {f"q{q2.pk}": right(q2)[0]}, headers=HTMX)
    assert not second.answers.filter(question=q2).exists()
    assert second.answers.get(question=q1).selected.count() == 1
