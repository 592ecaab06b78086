"""The migration that adds marks to the review options, review revisions and the attempt's
own deadline keeps what learners saw before it for existing quizzes, attempts and reviews."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("quizzes", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_rows_keep_todays_behaviour():
    apps = migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Quiz, Question = apps.get_model("quizzes", "Quiz"), apps.get_model("quizzes", "Question")
    Attempt, Answer = apps.get_model("quizzes", "Attempt"), apps.get_model("quizzes", "Answer")
    Rubric, Criterion, Level = (apps.get_model("quizzes", name) for name in ("Rubric", "Criterion", "Level"))
    Review = apps.get_model("quizzes", "Review")
    now = timezone.now()
    closes = now + timedelta(days=1)
    timed = Quiz.objects.create(
        slug="cronometrado", title="T", closes_at=closes, time_limit_minutes=20, reveal_answers="after_close"
    )
    untimed = Quiz.objects.create(slug="livre", title="L", closes_at=closes)
    essay = Question.objects.create(quiz=timed, key="q5", kind="essay", text="?", points=4)
    level = Level.objects.create(
        criterion=Criterion.objects.create(rubric=Rubric.objects.create(question=essay), name="C"),
        name="Completa",
        points=3,
    )
    learner, other = User.objects.create(username="antes"), User.objects.create(username="antes-2")
    # Before: the deadline was the earlier of the time limit and the close date at the start.
    timed_attempt = Attempt.objects.create(
        quiz=timed, learner=learner, number=1, started_at=now, deadline=now + timedelta(minutes=20)
    )
    untimed_attempt = Attempt.objects.create(quiz=untimed, learner=learner, number=1, started_at=now, deadline=closes)
    done = Attempt.objects.create(
        quiz=timed,
        learner=other,
        number=1,
        started_at=now - timedelta(hours=1),
        status="submitted",
        deadline=now - timedelta(minutes=40),
        submitted_at=now - timedelta(minutes=45),
        score=3,
        max_score=4,
    )
    answer = Answer.objects.create(attempt=done, question=essay, text="texto")
    review = Review.objects.create(
        answer=answer, score=3.5, adjustment=0.5, comment="liberada", is_complete=True, version=2, released_at=now
    )
    review.levels.set([level])
    draft = Review.objects.create(
        answer=Answer.objects.create(attempt=timed_attempt, question=essay, text="x"),
        score=1,
        comment="em andamento",
        is_complete=False,
        version=1,
    )

    apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("quizzes"))
    Quiz, Attempt, Review = (apps.get_model("quizzes", name) for name in ("Quiz", "Attempt", "Review"))
    for quiz in Quiz.objects.all():
        assert (quiz.marks_during, quiz.marks_immediately, quiz.marks_open, quiz.marks_closed) == (
            True,
            True,
            True,
            True,
        )
    # The close date is read live now: an open attempt keeps only its own time limit.
    assert Attempt.objects.get(pk=timed_attempt.pk).deadline == now + timedelta(minutes=20)
    assert Attempt.objects.get(pk=untimed_attempt.pk).deadline is None
    assert Attempt.objects.get(pk=done.pk).deadline == now - timedelta(minutes=40)  # history is not rewritten
    # A released review shows the learner what it showed before: it becomes the released revision.
    review = Review.objects.get(pk=review.pk)
    assert (review.revision, review.revision_score, review.revision_adjustment, review.revision_comment) == (
        1,
        3.5,
        0.5,
        "liberada",
    )
    assert list(review.revision_levels.values_list("pk", flat=True)) == [level.pk]
    draft = Review.objects.get(pk=draft.pk)
    assert draft.revision == 0 and draft.revision_score is None and draft.revision_comment == ""
