from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes.bank import quiz_import
from quizzes.models import Attempt, Question
from quizzes.selectors import attempt_progress, attempt_questions, can_reveal, final_percent, quiz_question_stats
from quizzes.services import QuizClosed, answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db


def correct_choice(question):
    return question.choices.get(is_correct=True)


def answer_all_correctly(attempt):
    for question in attempt.quiz.questions.all():
        if question.kind == "single":
            answer_save(attempt=attempt, question=question, choice_ids=[correct_choice(question).pk], text="")
        elif question.kind == "command":
            answer_save(attempt=attempt, question=question, choice_ids=[], text=question.expected_command)
        elif question.kind == "essay":
            answer_save(attempt=attempt, question=question, choice_ids=[], text="Reprodutibilidade, MLOps e XAI.")


def test_reimporting_updates_and_never_duplicates():
    quiz = quiz_from_content()
    counts = (quiz.questions.count(), sum(q.choices.count() for q in quiz.questions.all()))
    again = quiz_from_content()
    assert again.pk == quiz.pk
    assert (again.questions.count(), sum(q.choices.count() for q in again.questions.all())) == counts
    assert counts[0] == 11 and quiz.questions.filter(kind="essay").count() == 1


def test_full_marks_and_essay_awaits_review(learner):
    quiz = quiz_from_content()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    answer_all_correctly(attempt)
    attempt = attempt_submit(attempt=attempt)
    essay_points = quiz.questions.get(kind="essay").points
    assert attempt.score == attempt.max_score - essay_points
    assert attempt.pending_review


def test_command_answers_are_compared_by_meaning(learner):
    quiz = quiz_from_content()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    run = quiz.questions.get(key="cmd-run")
    answer_save(
        attempt=attempt,
        question=run,
        choice_ids=[],
        text="docker run --name=api-modelo-ml -p 5000:5000 --detach meu-modelo-ml:v1.0",
    )
    ps = quiz.questions.get(key="cmd-ps")
    answer_save(attempt=attempt, question=ps, choice_ids=[], text="docker ps")
    attempt_submit(attempt=attempt)
    answers = {a.question.key: a for a in attempt.answers.all()}
    assert answers["cmd-run"].auto_score == run.points
    assert answers["cmd-ps"].auto_score == 0
    assert any(problem["code"] == "missing_flag" for problem in answers["cmd-ps"].feedback)


def test_multiple_choice_partial_credit_never_negative(learner):
    from quizzes.importers import ChoiceData, QuestionData, QuizData

    data = QuizData(
        title="Parcial",
        slug="parcial",
        questions=[
            QuestionData(
                key="m1",
                kind="multiple",
                text="Quais reduzem a imagem?",
                points=2,
                position=0,
                choices=[
                    ChoiceData(key="a", text="slim", is_correct=True, fraction=0.5),
                    ChoiceData(key="b", text=".dockerignore", is_correct=True, fraction=0.5),
                    ChoiceData(key="c", text="ubuntu:latest", is_correct=False, fraction=-1.0),
                ],
            )
        ],
    )
    quiz = quiz_import(data=data).quiz
    question = quiz.questions.get()
    a, b, c = question.choices.order_by("key")
    scores = []
    for chosen in ([a], [a, b], [a, c], [c]):
        attempt = attempt_start(offering=offering_of(quiz), learner=UserFactory())
        answer_save(attempt=attempt, question=question, choice_ids=[x.pk for x in chosen], text="")
        scores.append(attempt_submit(attempt=attempt).score)
    assert scores == [1.0, 2.0, 0.0, 0.0]


def test_attempt_limits_dates_and_resume(learner):
    quiz = quiz_from_content(attempts_allowed=1)
    first = attempt_start(offering=offering_of(quiz), learner=learner)
    assert attempt_start(offering=offering_of(quiz), learner=learner) == first  # resumes, does not start another
    attempt_submit(attempt=first)
    with pytest.raises(QuizClosed, match="1"):
        attempt_start(offering=offering_of(quiz), learner=learner)
    closed = quiz_from_content(
        attempts_allowed=0, closes_at=timezone.now() - timedelta(minutes=1), opens_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(QuizClosed):
        attempt_start(offering=offering_of(closed), learner=UserFactory())


def test_time_limit_auto_submits_with_saved_answers(learner):
    quiz = quiz_from_content(time_limit_minutes=10)
    start = timezone.now()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner, now=start)
    assert attempt.deadline == start + timedelta(minutes=10)
    q1 = quiz.questions.get(key="q1")
    answer_save(
        attempt=attempt, question=q1, choice_ids=[correct_choice(q1).pk], text="", now=start + timedelta(minutes=5)
    )
    with pytest.raises(QuizClosed, match="tempo"):
        answer_save(attempt=attempt, question=q1, choice_ids=[], text="", now=start + timedelta(minutes=11))
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.auto_submitted and attempt.score == 1


def test_shuffle_is_stable_within_an_attempt(learner):
    quiz = quiz_from_content(shuffle_questions=True, shuffle_choices=True)
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    first = [(v.question.pk, [c.pk for c in v.choices]) for v in attempt_questions(attempt=attempt)]
    second = [
        (v.question.pk, [c.pk for c in v.choices])
        for v in attempt_questions(attempt=Attempt.objects.get(pk=attempt.pk))
    ]
    assert first == second
    assert sorted(pk for pk, _ in first) == sorted(quiz.questions.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("method", "expected"), [("highest", 75.0), ("last", 25.0), ("average", pytest.approx(125 / 3))]
)
def test_grading_methods(method, expected):
    quiz = quiz_from_content(grading_method=method)
    offering = offering_of(quiz)
    attempts = [
        Attempt(quiz=quiz, offering=offering, number=n, status="submitted", score=s, max_score=4)
        for n, s in ((1, 1), (2, 3), (3, 1))
    ]
    assert final_percent(offering=offering, attempts=attempts) == expected


def test_reveal_options(learner):
    quiz = quiz_from_content(reveal_answers="after_last_attempt", attempts_allowed=2)
    attempt = attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner))
    assert not can_reveal(attempt=attempt)
    attempt_submit(attempt=attempt_start(offering=offering_of(quiz), learner=learner))
    assert can_reveal(attempt=attempt)
    offering_of(quiz, reveal_answers="after_close", closes_at=timezone.now() + timedelta(days=1))
    attempt = Attempt.objects.get(pk=attempt.pk)
    assert not can_reveal(attempt=attempt)
    assert can_reveal(attempt=attempt, now=timezone.now() + timedelta(days=2))


def test_question_statistics_show_weak_distractors():
    quiz = quiz_from_content()
    q2 = quiz.questions.get(key="q2")
    picks = {"c": 3, "b": 1}
    for key, n in picks.items():
        for _ in range(n):
            attempt = attempt_start(offering=offering_of(quiz), learner=UserFactory())
            answer_save(attempt=attempt, question=q2, choice_ids=[q2.choices.get(key=key).pk], text="")
            attempt_submit(attempt=attempt)
    stat = next(s for s in quiz_question_stats(offering=offering_of(quiz)) if s.question == q2)
    assert stat.answered == 4 and stat.correct == 3 and stat.percent_correct == 75
    assert {c.choice.key: c.picks for c in stat.choices} == {"a": 0, "b": 1, "c": 3, "d": 0}


def test_single_choice_keeps_one_answer_and_foreign_choices_are_ignored(learner):
    quiz = quiz_from_content()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    q1, q2 = quiz.questions.get(key="q1"), quiz.questions.get(key="q2")
    answer = answer_save(
        attempt=attempt, question=q1, choice_ids=[c.pk for c in q1.choices.all()] + [q2.choices.first().pk], text=""
    )
    assert answer.selected.count() == 1 and answer.selected.get().question == q1
    assert Question.objects.get(pk=q1.pk).answers.count() == 1


def test_the_autosave_progress_counts_as_the_page_does(learner):
    quiz = quiz_from_content()
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    single, command, essay = (quiz.questions.filter(kind=kind).first() for kind in ("single", "command", "essay"))
    answer_save(attempt=attempt, question=single, choice_ids=[correct_choice(single).pk], text="")
    answer_save(attempt=attempt, question=command, choice_ids=[], text="   ")  # blank: not answered
    answer_save(attempt=attempt, question=essay, choice_ids=[], text="Reprodutibilidade.")
    other = quiz.questions.filter(kind="single").exclude(pk=single.pk).first()
    answer_save(attempt=attempt, question=other, choice_ids=[], text="")  # a cleared choice
    views = attempt_questions(attempt=attempt)
    assert attempt_progress(attempt=attempt) == (sum(v.answered for v in views), len(views)) == (2, 11)
