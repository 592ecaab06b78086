"""A quiz's terms are each learner's in each class: an extension moves their close date, gives
them attempts or time (an attempt already open included), and every check reads it (autosave,
submit, the periodic finishing of overdue attempts, the reveal of the key); the same quiz in
two classes is two separate things; an archived class takes no more work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from classes.models import ClassEvent, Extension
from classes.services import ExtensionTerms, class_archive, extensions_grant
from quizzes.gradebook import quiz_grades
from quizzes.models import Attempt
from quizzes.reviews import review_counts
from quizzes.selectors import can_reveal, quiz_question_stats, review_moment
from quizzes.services import QuizClosed, answer_save, attempt_start, attempt_submit, attempts_finish_overdue
from tests.factories import UserFactory, default_class, enrol_in, offering_of, other_class, quiz_from_content

pytestmark = pytest.mark.django_db


def right(question):
    return [question.choices.get(is_correct=True).pk]


def wrong(question):
    return [question.choices.filter(is_correct=False).first().pk]


def grant(offering, learners, teacher, now=None, **terms):
    return extensions_grant(
        offering=offering, learners=learners, terms=ExtensionTerms(**terms), granted_by=teacher, now=now
    )


# -- a later close date ---------------------------------------------------------------------------


def test_an_extended_close_keeps_one_learners_attempt_open_while_the_others_is_finished(instructor):
    start = timezone.now()
    close = start + timedelta(hours=1)
    quiz = quiz_from_content(closes_at=close)
    offering = offering_of(quiz)
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    ana_attempt = attempt_start(offering=offering, learner=ana, now=start)
    bia_attempt = attempt_start(offering=offering, learner=bia, now=start)
    own_close = start + timedelta(days=1)
    assert grant(offering, [ana], instructor, closes_at=own_close, reason="atestado") == 1

    later = start + timedelta(hours=2)
    assert attempts_finish_overdue(offering=offering, now=later) == 1
    bia_attempt.refresh_from_db()
    assert bia_attempt.status == Attempt.Status.SUBMITTED and bia_attempt.auto_submitted
    assert bia_attempt.submitted_at == close
    ana_attempt.refresh_from_db()
    assert ana_attempt.status == Attempt.Status.IN_PROGRESS

    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=ana_attempt, question=q1, choice_ids=right(q1), text="", now=later)  # autosave accepted
    with pytest.raises(QuizClosed):
        answer_save(attempt=bia_attempt, question=q1, choice_ids=right(q1), text="", now=later)
    # A new attempt past the class's close: only for the learner whose close is later.
    with pytest.raises(QuizClosed):
        attempt_start(offering=offering, learner=UserFactory(username="caio"), now=later)

    # Her own close ends her attempt in turn, with what she saved before it.
    assert attempts_finish_overdue(now=own_close + timedelta(minutes=1)) == 1
    ana_attempt.refresh_from_db()
    assert ana_attempt.status == Attempt.Status.SUBMITTED and ana_attempt.auto_submitted
    assert ana_attempt.submitted_at == own_close and ana_attempt.score == 1

    event = ClassEvent.objects.get(action=ClassEvent.Action.EXTENSION)
    assert event.actor == instructor and event.klass == default_class()
    assert event.detail["learners"] == ["ana"] and event.detail["closes_at"] == own_close.isoformat()


def test_an_extended_close_lets_a_learners_submit_count_as_theirs(instructor):
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(hours=1))
    offering = offering_of(quiz)
    ana = UserFactory(username="ana")
    attempt = attempt_start(offering=offering, learner=ana, now=start)
    grant(offering, [ana], instructor, closes_at=start + timedelta(days=1))
    submitted = attempt_submit(attempt=attempt, now=start + timedelta(hours=3))
    assert not submitted.auto_submitted and submitted.submitted_at == start + timedelta(hours=3)


def test_a_later_due_date_moves_the_learners_close_in_every_check(instructor):
    """A due date past the close moves the close (terms_with); the checks made in the database
    (autosave's last word, the periodic finishing) must read it so too."""
    start = timezone.now()
    quiz = quiz_from_content(closes_at=start + timedelta(hours=1))
    offering = offering_of(quiz)
    ana = UserFactory(username="ana")
    attempt = attempt_start(offering=offering, learner=ana, now=start)
    own_due = start + timedelta(days=1)
    grant(offering, [ana], instructor, due_at=own_due)
    later = start + timedelta(hours=2)
    q1 = quiz.questions.get(key="q1")
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="", now=later)
    assert attempts_finish_overdue(now=later) == 0
    assert attempts_finish_overdue(now=own_due + timedelta(minutes=1)) == 1
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == own_due and attempt.score == 1


# -- extra attempts -------------------------------------------------------------------------------


def test_extra_attempts_allow_one_more_attempt(instructor):
    quiz = quiz_from_content(attempts_allowed=1)
    offering = offering_of(quiz)
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    for learner in (ana, bia):
        attempt_submit(attempt=attempt_start(offering=offering, learner=learner))
        with pytest.raises(QuizClosed, match="1"):
            attempt_start(offering=offering, learner=learner)
    grant(offering, [ana], instructor, extra_attempts=1)
    second = attempt_start(offering=offering, learner=ana)
    assert second.number == 2
    attempt_submit(attempt=second)
    with pytest.raises(QuizClosed, match="2"):
        attempt_start(offering=offering, learner=ana)
    with pytest.raises(QuizClosed, match="1"):
        attempt_start(offering=offering, learner=bia)


# -- more time --------------------------------------------------------------------------------------


def test_a_time_multiplier_and_extra_minutes_give_a_longer_deadline(instructor):
    start = timezone.now()
    quiz = quiz_from_content(time_limit_minutes=20)
    offering = offering_of(quiz)
    ana, bia, caio, dani = (UserFactory(username=name) for name in ("ana", "bia", "caio", "dani"))
    grant(offering, [ana], instructor, time_multiplier=1.5)
    grant(offering, [bia], instructor, extra_minutes=10)
    grant(offering, [dani], instructor, time_multiplier=2, extra_minutes=5)
    deadlines = {
        learner.username: attempt_start(offering=offering, learner=learner, now=start).deadline
        for learner in (ana, bia, caio, dani)
    }
    assert deadlines == {
        "ana": start + timedelta(minutes=30),
        "bia": start + timedelta(minutes=30),
        "caio": start + timedelta(minutes=20),
        "dani": start + timedelta(minutes=45),
    }
    # The periodic finishing reads each attempt's own deadline.
    assert attempts_finish_overdue(offering=offering, now=start + timedelta(minutes=25)) == 1
    assert Attempt.objects.get(learner=caio).status == Attempt.Status.SUBMITTED
    assert Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).count() == 3


def test_extra_time_granted_during_an_attempt_lengthens_it(instructor):
    start = timezone.now()
    quiz = quiz_from_content(time_limit_minutes=20)
    offering = offering_of(quiz)
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    ana_attempt = attempt_start(offering=offering, learner=ana, now=start)
    bia_attempt = attempt_start(offering=offering, learner=bia, now=start)
    grant(offering, [ana], instructor, now=start + timedelta(minutes=10), time_multiplier=2, extra_minutes=5)
    ana_attempt.refresh_from_db()
    assert ana_attempt.deadline == start + timedelta(minutes=45)  # counted from when it started
    bia_attempt.refresh_from_db()
    assert bia_attempt.deadline == start + timedelta(minutes=20)

    q1 = quiz.questions.get(key="q1")
    past_the_limit = start + timedelta(minutes=25)
    answer_save(attempt=ana_attempt, question=q1, choice_ids=right(q1), text="", now=past_the_limit)
    with pytest.raises(QuizClosed, match="tempo"):
        answer_save(attempt=bia_attempt, question=q1, choice_ids=right(q1), text="", now=past_the_limit)
    with pytest.raises(QuizClosed, match="tempo"):
        answer_save(attempt=ana_attempt, question=q1, choice_ids=wrong(q1), text="", now=start + timedelta(minutes=46))
    ana_attempt.refresh_from_db()
    assert ana_attempt.auto_submitted and ana_attempt.submitted_at == start + timedelta(minutes=45)
    assert ana_attempt.score == 1  # the answer saved within her time, not the refused one


# -- the key, after each learner's own close -----------------------------------------------------------


def test_reveal_after_close_follows_the_learners_own_close_date(instructor):
    start = timezone.now()
    close, own_close = start + timedelta(hours=1), start + timedelta(days=1)
    quiz = quiz_from_content(reveal_answers="after_close", closes_at=close)
    offering = offering_of(quiz)
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    grant(offering, [ana], instructor, closes_at=own_close)
    ana_attempt, bia_attempt = (
        attempt_submit(attempt=attempt_start(offering=offering, learner=learner, now=start), now=start)
        for learner in (ana, bia)
    )
    after_class_close = start + timedelta(hours=2)
    ana_attempt, bia_attempt = Attempt.objects.get(pk=ana_attempt.pk), Attempt.objects.get(pk=bia_attempt.pk)
    assert can_reveal(attempt=bia_attempt, now=after_class_close)
    assert not can_reveal(attempt=ana_attempt, now=after_class_close)
    assert review_moment(attempt=bia_attempt, now=after_class_close) == "marks_closed"
    assert review_moment(attempt=ana_attempt, now=after_class_close) == "marks_open"
    assert can_reveal(attempt=ana_attempt, now=own_close + timedelta(minutes=1))
    assert review_moment(attempt=ana_attempt, now=own_close + timedelta(minutes=1)) == "marks_closed"


# -- one quiz, two classes ----------------------------------------------------------------------------


def test_the_same_quiz_in_two_classes_keeps_attempts_limits_and_statistics_apart(instructor):
    quiz = quiz_from_content(attempts_allowed=1)
    turma_a = offering_of(quiz)
    klass_b = other_class("Turma B")
    turma_b = offering_of(quiz, klass=klass_b, attempts_allowed=2)
    ana = UserFactory(username="ana")  # in both classes
    enrol_in(ana, klass=klass_b)
    bia = UserFactory(username="bia", enrol=False)  # only in B
    enrol_in(bia, klass=klass_b)
    q1 = quiz.questions.get(key="q1")

    # An attempt in each class at once, numbered in each.
    in_a = attempt_start(offering=turma_a, learner=ana)
    in_b = attempt_start(offering=turma_b, learner=ana)
    assert in_a != in_b and (in_a.number, in_b.number) == (1, 1)
    answer_save(attempt=in_a, question=q1, choice_ids=right(q1), text="")
    answer_save(attempt=in_b, question=q1, choice_ids=wrong(q1), text="")
    attempt_submit(attempt=in_a)
    attempt_submit(attempt=in_b)

    # A's one attempt is used; B still allows its second.
    with pytest.raises(QuizClosed, match="1"):
        attempt_start(offering=turma_a, learner=ana)
    second_b = attempt_start(offering=turma_b, learner=ana)
    assert second_b.number == 2
    answer_save(attempt=second_b, question=q1, choice_ids=wrong(q1), text="")
    attempt_submit(attempt=second_b)
    with pytest.raises(QuizClosed, match="2"):
        attempt_start(offering=turma_b, learner=ana)
    bia_b = attempt_start(offering=turma_b, learner=bia)
    answer_save(attempt=bia_b, question=q1, choice_ids=right(q1), text="")
    attempt_submit(attempt=bia_b)

    stat_a = next(s for s in quiz_question_stats(offering=turma_a) if s.question == q1)
    stat_b = next(s for s in quiz_question_stats(offering=turma_b) if s.question == q1)
    assert (stat_a.answered, stat_a.correct) == (1, 1)
    assert (stat_b.answered, stat_b.correct) == (3, 1)
    _, rows_a = quiz_grades(offering=turma_a)
    _, rows_b = quiz_grades(offering=turma_b)
    assert [(row[0], row[2]) for row in rows_a] == [("ana", 1)]
    assert [(row[0], row[2]) for row in rows_b] == [("ana", 2), ("bia", 1)]
    # B's settings are B's: A keeps its own.
    turma_a.refresh_from_db()
    assert turma_a.attempts_allowed == 1


def test_essays_of_two_classes_are_reviewed_in_each(instructor):
    quiz = quiz_from_content()
    klass_b = other_class("Turma B")
    turma_b = offering_of(quiz, klass=klass_b)
    ana = UserFactory(username="ana", enrol=False)
    enrol_in(ana, klass=klass_b)
    essay = quiz.questions.get(key="q5")
    attempt = attempt_start(offering=turma_b, learner=ana)
    answer_save(attempt=attempt, question=essay, choice_ids=[], text="Reprodutibilidade.")
    attempt_submit(attempt=attempt)
    assert review_counts(klass=klass_b, quiz=quiz)["to_review"] == 1
    assert review_counts(klass=default_class(), quiz=quiz)["to_review"] == 0


# -- an archived class ------------------------------------------------------------------------------------


def test_an_archived_class_refuses_starting_answering_and_submitting(instructor):
    quiz = quiz_from_content()
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    attempt = attempt_start(offering=offering_of(quiz), learner=ana)
    class_archive(klass=default_class(), actor=instructor)
    offering = offering_of(quiz)  # as a request after the archiving reads it
    q1 = quiz.questions.get(key="q1")
    for refused in (
        lambda: attempt_start(offering=offering, learner=bia),
        lambda: attempt_start(offering=offering, learner=ana),  # resuming is answering too
        lambda: answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text=""),
        lambda: attempt_submit(attempt=attempt),
    ):
        with pytest.raises(QuizClosed, match="arquivada"):
            refused()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and not attempt.answers.exists()
    assert Attempt.objects.count() == 1
    with pytest.raises(ValueError, match="arquivada"):
        grant(offering, [ana], instructor, extra_attempts=1)
    assert not Extension.objects.exists()

    class_archive(klass=default_class(), actor=instructor, archived=False)
    answer_save(attempt=attempt, question=q1, choice_ids=right(q1), text="")
    assert attempt_submit(attempt=attempt).score == 1


def test_taking_the_quiz_in_one_class_holds_back_its_key_in_the_other(client):
    """The same quiz offered in two classes is the same questions: while the learner takes it
    in one class, the key of an attempt made in the other is not shown."""
    quiz = quiz_from_content()
    class_b = other_class()
    learner = UserFactory()
    enrol_in(learner, klass=class_b)
    done = attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner))
    assert can_reveal(attempt=done)
    attempt_start(offering=offering_of(quiz, klass=class_b), learner=learner)
    assert not can_reveal(attempt=done)
    client.force_login(learner)
    page = client.get(f"/questionarios/tentativas/{done.pk}/resultado/").content.decode()
    assert 'class="explanation"' not in page
    assert "badge-ok" not in page  # no choice marked correct


def test_a_new_time_limit_reaches_an_attempt_in_progress_and_other_settings_do_not(instructor):
    """The settings page saves through offering_settings_save: a changed time limit gives the
    open attempt its new deadline (from when it started); a display option leaves it alone."""
    from classes.services import offering_settings_save

    quiz = quiz_from_content(time_limit_minutes=20)
    offering = offering_of(quiz)
    attempt = attempt_start(offering=offering, learner=UserFactory())
    offering.shuffle_choices = True
    offering_settings_save(offering=offering, actor=instructor, changed=["shuffle_choices"])
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timedelta(minutes=20)
    offering.time_limit_minutes = 50
    offering_settings_save(offering=offering, actor=instructor, changed=["time_limit_minutes"])
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timedelta(minutes=50)
