"""A lab's deadlines in a class, at the service level, on a fake clock (submission_create's
`now`): late work refused or accepted with a penalty per started day, opening and closing
dates, extensions that move one learner's deadline (and the penalties of what they already
sent), and one lab offered in two classes kept apart."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from classes.models import Offering
from classes.services import ExtensionTerms, class_archive, extension_revoke, extensions_grant
from labs.models import Submission
from labs.selectors import (
    best_score,
    lab_best_scores,
    lab_submissions_for_instructor,
    learner_submissions,
)
from labs.services import (
    SubmissionRefused,
    lab_regrade_all,
    submission_create,
    submission_grade,
    watchdog_run,
)
from tests.factories import UserFactory, default_class, enrol_in, offering_of, other_class

from .test_submission_services import DOCKERIGNORE, REFERENCE, fake_sandbox, sent_tasks  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# The fake clock's due date: in the past, so that a submission stamped with a moment of the
# fake clock never counts in the real clock's per-minute limit.
DUE = (timezone.now() - 30 * DAY).replace(microsecond=0)


def send(learner, offering: Offering, at, dockerfile=REFERENCE) -> Submission:
    """The learner sends work at `at` by the fake clock (the service stamps the row with it,
    so a later recomputation of its lateness reads the moment it judged)."""
    submission = submission_create(
        learner=learner,
        offering=offering,
        dockerfile=dockerfile,
        uploads={".dockerignore": DOCKERIGNORE},
        lang="pt-BR",
        now=at,
    )
    submission.refresh_from_db()
    assert submission.created_at == at
    return submission


def graded(submission: Submission, score: float, status: str = "passed") -> Submission:
    """As a grading leaves it (the learner's one active slot is free again)."""
    Submission.objects.filter(pk=submission.pk).update(
        status=status, score=score, max_score=100, counted=True, finished_at=timezone.now()
    )
    submission.refresh_from_db()
    return submission


def local(moment) -> str:
    """The date as a refusal names it, in the active language."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def lateness(submission: Submission) -> tuple[int, float]:
    """Seconds late and the penalty as stored (a whole number of tenths here: exact floats)."""
    submission.refresh_from_db()
    return submission.late_seconds, submission.late_penalty


@pytest.fixture
def penalty_offering(lab):
    return offering_of(lab, due_at=DUE, late_policy=Offering.LatePolicy.PENALTY, late_penalty_percent=10)


def test_late_work_costs_ten_percent_per_started_day(learner, penalty_offering):
    on_time = send(learner, penalty_offering, DUE - HOUR)
    assert (on_time.late_seconds, on_time.late_penalty, on_time.late_days) == (0, 0, 0)
    graded(on_time, 80)

    hour_late = send(learner, penalty_offering, DUE + HOUR)
    assert (hour_late.late_seconds, hour_late.late_penalty, hour_late.late_days) == (3600, 0.1, 1)
    graded(hour_late, 100)

    day_and_hour_late = send(learner, penalty_offering, DUE + DAY + HOUR)
    assert (day_and_hour_late.late_seconds, day_and_hour_late.late_days) == (25 * 3600, 2)
    assert day_and_hour_late.late_penalty == pytest.approx(0.2)
    graded(day_and_hour_late, 100)

    # What counts is the score less the penalty: 80 on time, 90 and 80 late.
    assert [s.counted_score for s in (on_time, hour_late, day_and_hour_late)] == [80, 90, 80]
    assert best_score(user=learner, offering=penalty_offering) == pytest.approx(90)
    [row] = lab_best_scores(offering=penalty_offering)
    assert row["best"] == pytest.approx(90) and row["attempts"] == 3


def test_the_penalty_never_takes_more_than_the_whole_score(learner, penalty_offering):
    Offering.objects.filter(pk=penalty_offering.pk).update(late_penalty_percent=40)
    penalty_offering.refresh_from_db()
    submission = graded(send(learner, penalty_offering, DUE + 3 * DAY + HOUR), 100)
    assert submission.late_penalty == 1 and submission.counted_score == 0


def test_a_class_that_refuses_late_work_says_when_it_was_due(learner, lab):
    offering = offering_of(lab, due_at=DUE, late_policy=Offering.LatePolicy.REFUSE)
    graded(send(learner, offering, DUE), 100)  # at the due date itself: on time
    with translation.override("en"):
        with pytest.raises(SubmissionRefused) as refused:
            send(learner, offering, DUE + timedelta(seconds=1))
        assert "was due on" in str(refused.value) and local(DUE) in str(refused.value)
    assert Submission.objects.filter(offering=offering).count() == 1


def test_nothing_is_taken_after_the_close_even_with_a_penalty_policy(learner, penalty_offering):
    closes = DUE + 2 * DAY
    Offering.objects.filter(pk=penalty_offering.pk).update(closes_at=closes)
    penalty_offering.refresh_from_db()
    late = send(learner, penalty_offering, closes - timedelta(minutes=1))
    assert late.late_penalty == pytest.approx(0.2)
    graded(late, 100)
    for moment in (closes, closes + HOUR):
        with translation.override("en"):
            with pytest.raises(SubmissionRefused) as refused:
                send(learner, penalty_offering, moment)
            assert "closed on" in str(refused.value) and local(closes) in str(refused.value)
    assert Submission.objects.filter(offering=penalty_offering).count() == 1


def test_nothing_is_taken_before_the_lab_opens(learner, lab):
    opens = DUE - 7 * DAY
    offering = offering_of(lab, opens_at=opens, due_at=DUE)
    with translation.override("en"):
        with pytest.raises(SubmissionRefused) as refused:
            send(learner, offering, opens - timedelta(minutes=1))
        assert "opens on" in str(refused.value) and local(opens) in str(refused.value)
    assert not Submission.objects.exists()
    assert send(learner, offering, opens).late_penalty == 0


def test_an_extension_moves_one_learners_deadline_and_the_penalties_already_taken(
    learner, other_learner, instructor, penalty_offering
):
    mine = graded(send(learner, penalty_offering, DUE + DAY + HOUR), 100)
    theirs = graded(send(other_learner, penalty_offering, DUE + DAY + HOUR), 100)
    assert lateness(mine) == lateness(theirs) == (25 * 3600, 0.2)

    granted = extensions_grant(
        offering=penalty_offering,
        learners=[learner],
        terms=ExtensionTerms(due_at=DUE + 3 * DAY, reason="atestado médico"),
        granted_by=instructor,
    )
    assert granted == 1
    # Their late submission was on time by their new deadline: its penalty is given back.
    assert lateness(mine) == (0, 0)
    assert best_score(user=learner, offering=penalty_offering) == 100
    # Their next one, past the class's due date but before theirs, is on time too.
    assert send(learner, penalty_offering, DUE + 2 * DAY).late_penalty == 0
    # The other learner keeps the class's deadline, for what they sent and what they send.
    assert lateness(theirs) == (25 * 3600, 0.2)
    assert best_score(user=other_learner, offering=penalty_offering) == pytest.approx(80)
    assert send(other_learner, penalty_offering, DUE + 2 * DAY).late_penalty == pytest.approx(0.2)

    # Taken back, the class's deadline applies to the learner again, to the past too.
    extension_revoke(extension=penalty_offering.extensions.get(learner=learner), actor=instructor)
    assert lateness(mine) == (25 * 3600, 0.2)


def test_an_extended_due_date_past_the_close_moves_the_close_for_that_learner(
    learner, other_learner, instructor, penalty_offering
):
    closes = DUE + DAY
    Offering.objects.filter(pk=penalty_offering.pk).update(closes_at=closes)
    penalty_offering.refresh_from_db()
    extensions_grant(
        offering=penalty_offering,
        learners=[learner],
        terms=ExtensionTerms(due_at=DUE + 3 * DAY),
        granted_by=instructor,
    )
    assert send(learner, penalty_offering, DUE + 2 * DAY).late_penalty == 0
    with pytest.raises(SubmissionRefused):
        send(other_learner, penalty_offering, DUE + 2 * DAY)


@pytest.mark.usefixtures("fake_sandbox", "sent_tasks")
def test_the_watchdogs_requeue_keeps_how_late_the_work_was_sent(
    learner, penalty_offering, django_capture_on_commit_callbacks
):
    """Graded again after a lost worker, long after the due date: still as late as when it
    was sent, no later."""
    submission = send(learner, penalty_offering, DUE + HOUR)
    sent_lateness = lateness(submission)
    assert sent_lateness == (3600, 0.1)
    long_ago = timezone.now() - 2 * HOUR
    Submission.objects.filter(pk=submission.pk).update(status="building", building_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert watchdog_run()["requeued"] == 1
    submission.refresh_from_db()
    assert submission.status == "queued" and submission.retries == 1
    assert lateness(submission) == sent_lateness
    assert submission_grade(submission_id=submission.pk, worker_host="w2") == "passed"
    submission.refresh_from_db()
    assert lateness(submission) == sent_lateness
    assert submission.score == 100 and submission.counted_score == pytest.approx(90)


@pytest.mark.usefixtures("sent_tasks")
def test_one_lab_in_two_classes_keeps_each_class_apart(client, learner, instructor, lab):
    """The same lab, due at different times in two classes, for a learner in both: each class
    has its own submissions, penalties, best scores, listing and regrades, and the teacher of
    one class reaches nothing of the other's."""
    morning = offering_of(lab, due_at=DUE + 10 * DAY)
    evening_class = other_class("Turma da noite")
    evening = offering_of(lab, klass=evening_class, due_at=DUE)
    enrol_in(learner, klass=evening_class)
    evening_only = UserFactory(username="so-da-noite", enrol=False)
    enrol_in(evening_only, klass=evening_class)
    evening_teacher = UserFactory(username="prof-noite", instructor=True, enrol=False)
    enrol_in(evening_teacher, role="teacher", klass=evening_class)

    in_morning = graded(send(learner, morning, DUE + DAY), 100)
    in_evening = graded(send(learner, evening, DUE + DAY), 100)
    # One submission in flight per learner in each class, not per lab.
    in_flight = send(evening_only, evening, DUE + HOUR)
    assert send(learner, morning, DUE + 2 * DAY).status == "queued"
    assert send(learner, evening, DUE + 2 * DAY).status == "queued"

    assert (in_morning.late_penalty, in_evening.late_penalty) == (0, 0.1)
    assert best_score(user=learner, offering=morning) == 100
    assert best_score(user=learner, offering=evening) == pytest.approx(90)
    assert set(learner_submissions(user=learner, offering=morning).values_list("offering_id", flat=True)) == {
        morning.pk
    }
    assert learner_submissions(user=learner, offering=evening).count() == 2
    assert [row["learner__username"] for row in lab_best_scores(offering=morning)] == [learner.username]
    assert {s.pk for s in lab_submissions_for_instructor(offering=evening)} >= {in_evening.pk, in_flight.pk}
    assert not lab_submissions_for_instructor(offering=morning).filter(offering=evening).exists()

    # Regrading one class's work leaves the other's alone.
    assert lab_regrade_all(offering=morning) == 0  # its learner's latest is still queued
    assert lab_regrade_all(offering=morning, scope="every") == 1
    assert Submission.objects.get(pk=in_evening.pk).status == "passed"

    # The listing a class's teacher reads is that class's; the other class's is not there.
    client.force_login(instructor)
    listed = client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).context["page"]
    assert {s.offering_id for s in listed} == {morning.pk}
    assert client.get(reverse("labs:submissions", args=[evening_class.pk, lab.slug])).status_code == 404
    assert client.get(reverse("labs:submission", args=[in_flight.pk])).status_code == 404
    client.force_login(evening_teacher)
    listed = client.get(reverse("labs:submissions", args=[evening_class.pk, lab.slug])).context["page"]
    assert {s.offering_id for s in listed} == {evening.pk}
    assert client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).status_code == 404
    assert client.get(reverse("labs:submission", args=[in_morning.pk])).status_code == 404


def test_an_archived_class_takes_no_more_work(learner, instructor, lab):
    offering = offering_of(lab)
    graded(send(learner, offering, DUE), 100)
    class_archive(klass=default_class(), actor=instructor)
    offering.refresh_from_db()
    with translation.override("en"), pytest.raises(SubmissionRefused, match="archived"):
        send(learner, offering, DUE + HOUR)
    assert Submission.objects.count() == 1
    # What it had stays readable.
    assert best_score(user=learner, offering=offering) == 100


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("late_penalty_percent", 25, (3600, 0.25)),
        ("late_policy", Offering.LatePolicy.REFUSE, (3600, 0.0)),
        ("due_at", DUE + 2 * HOUR, (0, 0.0)),
        # Read live by every check: nothing stored changes.
        ("closes_at", DUE + 10 * DAY, (3600, 0.1)),
        ("is_visible", False, (3600, 0.1)),
    ],
)
def test_a_teachers_new_settings_reach_work_already_sent(learner, instructor, penalty_offering, field, value, expected):
    """The settings page saves through offering_settings_save: a new penalty, policy or due
    date is applied to submissions already made; the other settings leave them as they were."""
    from classes.services import offering_settings_save

    late = send(learner, penalty_offering, DUE + HOUR)
    assert lateness(late) == (3600, 0.1)
    setattr(penalty_offering, field, value)
    offering_settings_save(offering=penalty_offering, actor=instructor, changed=[field])
    assert lateness(late) == expected
