"""Autosave and submit are serialized per attempt: once a submit (or the time-limit
auto-submit) has scored an attempt, no answer of it changes, on SQLite (one writer at a time,
row locks ignored) and on PostgreSQL (row locks, READ COMMITTED).

Real threads, each with its own database connection: one autosaves as fast as it can, the
other submits in the middle of it."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from quizzes.models import Answer, Attempt
from quizzes.services import QuizClosed, answer_save, attempt_expire_if_due, attempt_start, attempt_submit, score_answer
from tests.factories import UserFactory, offering_of, quiz_from_content

ROUNDS = 4


def snapshot(attempt) -> dict:
    return {
        a.question_id: (a.text, a.auto_score, sorted(c.pk for c in a.selected.all()))
        for a in Answer.objects.filter(attempt=attempt).prefetch_related("selected")
    }


def submit(attempt):
    attempt_submit(attempt=attempt)


def time_limit_runs_out(attempt):
    attempt = Attempt.objects.get(pk=attempt.pk)
    assert attempt_expire_if_due(attempt=attempt, now=attempt.deadline + timedelta(seconds=1))


def race(finish, rounds=ROUNDS):
    quiz = quiz_from_content(time_limit_minutes=30)
    essay, command = quiz.questions.get(key="q5"), quiz.questions.get(key="cmd-run")
    single = quiz.questions.get(key="q1")
    wrong, right = single.choices.filter(is_correct=False).first(), single.choices.get(is_correct=True)
    learner = UserFactory(username="corrida")
    for number in range(rounds):
        attempt = attempt_start(offering=offering_of(quiz), learner=learner)  # attempt 1, 2, ... of the same learner
        answer_save(attempt=attempt, question=essay, choice_ids=[], text="v0")
        stop, saves, refused = threading.Event(), [0], [0]
        errors: list[Exception] = []

        def autosave(attempt_id=attempt.pk, stop=stop, saves=saves, refused=refused, errors=errors):
            try:
                n = 0
                while not stop.is_set():
                    n += 1
                    # A fresh row each time, as every request loads it.
                    current = Attempt.objects.select_related("quiz").get(pk=attempt_id)
                    try:
                        answer_save(attempt=current, question=essay, choice_ids=[], text=f"v{n}")
                        answer_save(
                            attempt=current,
                            question=command,
                            choice_ids=[],
                            text=command.expected_command if n % 2 else "docker ps",
                        )
                        answer_save(
                            attempt=current, question=single, choice_ids=[(right if n % 2 else wrong).pk], text=""
                        )
                        saves[0] += 1
                    except QuizClosed:
                        refused[0] += 1
                        time.sleep(0.001)
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=autosave)
        thread.start()
        try:
            while saves[0] < 3 and thread.is_alive():  # the autosaves are under way
                time.sleep(0.005)
            finish(attempt)
            graded = snapshot(attempt)
            # Let the autosaver keep trying on the submitted attempt: refused a few times over.
            deadline = time.monotonic() + 10
            while refused[0] < 5 and time.monotonic() < deadline and thread.is_alive():
                time.sleep(0.01)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert not errors, errors
        assert refused[0] >= 5, "the autosaves stopped before trying the submitted attempt"
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.SUBMITTED
        # After the submit, nothing changed, and what is stored is what was scored.
        assert snapshot(attempt) == graded, f"round {number}: an answer changed after the attempt was scored"
        for answer in Answer.objects.filter(attempt=attempt).select_related("question").prefetch_related("selected"):
            if answer.question.is_auto_scored:
                assert score_answer(answer.question, answer)[0] == answer.auto_score, answer.question.key
        total = sum(a.auto_score or 0 for a in Answer.objects.filter(attempt=attempt))
        assert attempt.score == pytest.approx(total)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("finish", [submit, time_limit_runs_out], ids=["submit", "time-limit"])
def test_no_answer_changes_after_the_attempt_is_scored(finish):
    race(finish)


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL: make test runs it in its second pass, with DATABASE_URL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("finish", [submit, time_limit_runs_out], ids=["submit", "time-limit"])
def test_no_answer_changes_after_the_attempt_is_scored_under_row_locks(on_postgres, finish):
    race(finish)
