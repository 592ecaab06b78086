"""Migrations keep what learners and teachers had. The one that added marks to the review
options, review revisions and the attempt's own deadline keeps what learners saw before it;
the one that brought classes puts everything a site had into one class, losing nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("quizzes", "0001_initial")]
# The last state without classes: quiz settings on the quiz, no offerings.
BEFORE_CLASSES = [("quizzes", "0003_quiz_is_practice"), ("labs", "0004_lab_versions")]
# The first state with them, every app at the migration that finished the move.
AFTER_CLASSES = [
    ("quizzes", "0005_settings_per_class"),
    ("labs", "0006_offering_required"),
    ("classes", "0002_default_class"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture(autouse=True)
def schema_back_to_latest():
    """Whatever a test does to the schema, the next test finds it migrated to the end."""
    yield
    migrate(latest())


def test_the_class_migrations_are_the_latest():
    """A new migration of these apps means this file's targets (and its data test) need a look."""
    leaves = {app: name for app, name in latest() if app in {"quizzes", "labs", "classes"}}
    # labs 0007 only lets a submission's time be set by the service that judged its lateness;
    # classes 0003 adds the lab grade rule with its default (best), which the data test keeps;
    # quizzes 0006 adds the new kinds' fields and random draws, all with defaults that keep
    # existing questions as they were; labs 0008 adds parameter draws and a submission's
    # values, {} (no parameters) for existing rows.
    assert leaves == {
        **dict(AFTER_CLASSES),
        "quizzes": "0006_question_kinds_categories_draws",
        "labs": "0008_parameter_draws",
        "classes": "0003_lab_score_rule",
    }


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

    apps = migrate(AFTER_CLASSES)
    Offering, Attempt, Review = (
        apps.get_model(app, name)
        for app, name in (("classes", "Offering"), ("quizzes", "Attempt"), ("quizzes", "Review"))
    )
    # The quizzes' settings, marks included, are now their offerings' in the one class.
    assert Offering.objects.filter(quiz__isnull=False).count() == 2
    for offering in Offering.objects.filter(quiz__isnull=False):
        assert (offering.marks_during, offering.marks_immediately, offering.marks_open, offering.marks_closed) == (
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


QUIZ_SETTINGS = {
    "attempts_allowed": 2,
    "grading_method": "last",
    "one_per_page": True,
    "shuffle_questions": True,
    "shuffle_choices": False,
    "time_limit_minutes": 30,
    "reveal_answers": "after_close",
    "marks_during": False,
    "marks_immediately": False,
    "marks_open": True,
    "marks_closed": True,
}


def test_an_upgrade_puts_everything_into_one_class_and_loses_nothing():
    apps = migrate(BEFORE_CLASSES)
    User, Group = apps.get_model("auth", "User"), apps.get_model("auth", "Group")
    Quiz, Question = apps.get_model("quizzes", "Quiz"), apps.get_model("quizzes", "Question")
    Attempt, Answer, Review = (apps.get_model("quizzes", name) for name in ("Attempt", "Answer", "Review"))
    Lab, Submission = apps.get_model("labs", "Lab"), apps.get_model("labs", "Submission")
    now = timezone.now().replace(microsecond=0)
    opens, closes = now - timedelta(days=3), now + timedelta(days=4)

    graded = Quiz.objects.create(
        slug="aula-45", title="Aula 45", position=1, opens_at=opens, closes_at=closes, **QUIZ_SETTINGS
    )
    # Unpublished practice with the model's defaults: offered, hidden as it was.
    practice = Quiz.objects.create(
        slug="aula-45-pratica", title="Prática", position=2, is_published=False, is_practice=True
    )
    q1 = Question.objects.create(quiz=graded, key="q1", kind="single", text="?", points=1)
    essay = Question.objects.create(quiz=graded, key="q5", kind="essay", text="?", points=4)
    lab = Lab.objects.create(slug="primeiro-conteiner", title="Primeiro contêiner", position=1)
    Lab.objects.create(slug="antigo", title="Antigo", position=2, is_active=False)

    instructors = Group.objects.create(name="Instructors")
    teacher = User.objects.create(username="professora", is_staff=True)
    teacher.groups.add(instructors)
    admin = User.objects.create(username="admin", is_staff=True, is_superuser=True)
    ana, bia, caio = (User.objects.create(username=name) for name in ("ana", "bia", "caio"))
    gone = User.objects.create(username="saiu", is_active=False)  # an old account with work in it

    in_progress = Attempt.objects.create(
        quiz=graded, learner=ana, number=1, started_at=now - timedelta(minutes=5), deadline=now + timedelta(minutes=25)
    )
    Answer.objects.create(attempt=in_progress, question=q1, text="")
    submitted = Attempt.objects.create(
        quiz=graded,
        learner=bia,
        number=1,
        status="submitted",
        started_at=now - timedelta(hours=2),
        submitted_at=now - timedelta(hours=1),
        score=4.5,
        max_score=5,
    )
    bia_essay = Answer.objects.create(attempt=submitted, question=essay, text="Reprodutibilidade e MLOps.")
    Review.objects.create(
        answer=bia_essay,
        reviewer=teacher,
        score=3.5,
        comment="Muito bem.",
        is_complete=True,
        revision=1,
        revision_score=3.5,
        revision_comment="Muito bem.",
        version=2,
        reviewed_at=now - timedelta(minutes=30),
        released_at=now - timedelta(minutes=10),
    )
    Attempt.objects.create(quiz=practice, learner=gone, number=1, status="submitted", submitted_at=now, score=0)
    for learner, status, score in (
        (ana, "passed", 100),
        (bia, "failed", 40),
        (bia, "queued", None),
        (gone, "error", None),
    ):
        Submission.objects.create(
            learner=learner, lab=lab, dockerfile="FROM python:3.11-slim\n", status=status, score=score
        )
    before = {
        model.__name__: model.objects.count()
        for model in (User, Quiz, Question, Attempt, Answer, Review, Lab, Submission)
    }

    apps = migrate(AFTER_CLASSES)
    User = apps.get_model("auth", "User")
    Quiz, Question = apps.get_model("quizzes", "Quiz"), apps.get_model("quizzes", "Question")
    Attempt, Answer, Review = (apps.get_model("quizzes", name) for name in ("Attempt", "Answer", "Review"))
    Lab, Submission = apps.get_model("labs", "Lab"), apps.get_model("labs", "Submission")
    Class, Membership, Offering = (apps.get_model("classes", name) for name in ("Class", "Membership", "Offering"))

    # Nothing lost.
    after = {
        model.__name__: model.objects.count()
        for model in (User, Quiz, Question, Attempt, Answer, Review, Lab, Submission)
    }
    assert after == before

    # One class, offering every quiz and every lab.
    klass = Class.objects.get()
    assert klass.name == "Turma principal" and klass.archived_at is None and klass.join_code
    offerings = Offering.objects.filter(klass=klass)
    assert offerings.count() == 4
    assert {o.quiz.slug for o in offerings if o.quiz_id} == {"aula-45", "aula-45-pratica"}
    assert {o.lab.slug for o in offerings if o.lab_id} == {"primeiro-conteiner", "antigo"}

    # The graded quiz's settings, dates and visibility are its offering's now, and the
    # defaults a new class starts from.
    graded_offering = offerings.get(quiz__slug="aula-45")
    assert {name: getattr(graded_offering, name) for name in QUIZ_SETTINGS} == QUIZ_SETTINGS
    assert (graded_offering.opens_at, graded_offering.closes_at) == (opens, closes)
    assert graded_offering.is_visible and graded_offering.due_at is None
    assert Quiz.objects.get(slug="aula-45").settings_defaults == QUIZ_SETTINGS
    practice_offering = offerings.get(quiz__slug="aula-45-pratica")
    assert not practice_offering.is_visible and Quiz.objects.get(slug="aula-45-pratica").is_practice
    assert (practice_offering.attempts_allowed, practice_offering.reveal_answers) == (0, "immediately")
    assert (practice_offering.opens_at, practice_offering.closes_at) == (None, None)
    assert offerings.get(lab__slug="primeiro-conteiner").is_visible
    assert not offerings.get(lab__slug="antigo").is_visible
    # Labs had no deadline: none now, so no submission is late.
    assert all(o.due_at is None and o.closes_at is None for o in offerings.filter(lab__isnull=False))

    # The instructor teaches it; learners, and anyone with work in it, learn in it.
    roles = {m.user.username: m.role for m in Membership.objects.filter(klass=klass).select_related("user")}
    assert roles == {"professora": "teacher", "ana": "learner", "bia": "learner", "caio": "learner", "saiu": "learner"}
    assert admin.username not in roles  # the site administrator sees every class without being in one

    # Every attempt and submission is its offering's, as it was.
    for attempt in Attempt.objects.select_related("offering"):
        assert attempt.offering.klass_id == klass.pk and attempt.offering.quiz_id == attempt.quiz_id
    for submission in Submission.objects.select_related("offering"):
        assert submission.offering.klass_id == klass.pk and submission.offering.lab_id == submission.lab_id
        assert (submission.late_seconds, submission.late_penalty) == (0, 0)
    still_open = Attempt.objects.get(pk=in_progress.pk)
    assert still_open.status == "in_progress" and still_open.deadline == now + timedelta(minutes=25)
    assert still_open.answers.count() == 1
    done = Attempt.objects.get(pk=submitted.pk)
    assert (done.status, done.score, done.submitted_at) == ("submitted", 4.5, now - timedelta(hours=1))
    review = Review.objects.get(answer__attempt=done)
    assert (review.revision_score, review.revision_comment, review.released_at, review.reviewer_id) == (
        3.5,
        "Muito bem.",
        now - timedelta(minutes=10),
        teacher.pk,
    )
    assert Submission.objects.filter(learner_id=bia.pk, status="queued").count() == 1


def test_an_upgrade_of_a_fresh_install_makes_no_class():
    migrate(BEFORE_CLASSES)
    apps = migrate(AFTER_CLASSES)
    assert not apps.get_model("classes", "Class").objects.exists()
