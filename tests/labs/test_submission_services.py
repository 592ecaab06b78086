"""Submission services with the sandbox faked at its boundary (labs.grading_service)."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs import grading_service
from labs.grading.ports import SandboxFault
from labs.grading.types import HttpOutcome
from labs.models import Submission
from labs.services import (
    SubmissionRefused,
    lab_regrade_all,
    submission_create,
    submission_grade,
    submission_platform_fault,
    submission_regrade,
    watchdog_run,
)
from tests.factories import UserFactory, offering_of

from .grading.fakes import FakeContainer, FakeSandbox

pytestmark = pytest.mark.django_db

REFERENCE = open("content/labs/primeiro-conteiner/reference/Dockerfile").read()
DOCKERIGNORE = open("content/labs/primeiro-conteiner/reference/.dockerignore", "rb").read()


@pytest.fixture
def fake_sandbox(monkeypatch):
    sandbox = FakeSandbox(
        container=FakeContainer(
            http_answers={("GET", 5000, "/"): HttpOutcome(status=200, body=json.dumps({"mensagem": "Olá"}))}
        )
    )
    sandbox.facts = sandbox.facts.__class__(**{**sandbox.facts.__dict__, "user": ""})
    monkeypatch.setattr(grading_service, "DockerSandbox", lambda url, **kwargs: sandbox)
    return sandbox


@pytest.fixture
def sent_tasks(monkeypatch):
    sent = []
    from labs import tasks

    monkeypatch.setattr(
        tasks.grade_submission, "apply_async", lambda args, countdown=0: sent.append((args[0], countdown))
    )
    return sent


def create(learner, lab, dockerfile=REFERENCE, uploads=None, lang="pt-BR"):
    return submission_create(
        learner=learner,
        offering=offering_of(lab),
        dockerfile=dockerfile,
        uploads=uploads or {".dockerignore": DOCKERIGNORE},
        lang=lang,
    )


def test_create_queues_once_committed(learner, lab, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = create(learner, lab)
    assert submission.status == Submission.Status.QUEUED and submission.queued_at
    assert sent_tasks == [(submission.pk, 0)]
    assert submission.dockerfile == REFERENCE and ".dockerignore" in submission.files
    assert submission.spec_hash == lab.spec_hash


def test_dockerfile_may_come_as_an_upload(learner, lab):
    submission = create(learner, lab, dockerfile="   ", uploads={"Dockerfile": REFERENCE.encode()})
    assert submission.dockerfile == REFERENCE


@pytest.mark.parametrize(
    ("dockerfile", "uploads", "message"),
    [
        ("", {}, "Dockerfile"),
        ("", {"Dockerfile": b"\xff\xfe"}, "UTF-8"),
        (REFERENCE, {"../fora": b"x"}, ".."),
        (REFERENCE, {f"f{i}.txt": b"x" for i in range(60)}, "61"),
        (REFERENCE, {"grande.bin": b"0" * (6 * 1024 * 1024)}, "KB"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message(learner, lab, dockerfile, uploads, message):
    with pytest.raises(SubmissionRefused) as excinfo:
        submission_create(
            learner=learner, offering=offering_of(lab), dockerfile=dockerfile, uploads=uploads, lang="pt-BR"
        )
    assert message in str(excinfo.value)
    assert not Submission.objects.exists()


def test_one_active_submission_per_learner_and_lab(learner, lab):
    create(learner, lab)
    with pytest.raises(SubmissionRefused, match="já tem uma entrega em avaliação"):
        create(learner, lab)
    create(UserFactory(username="outra"), lab)  # someone else is not blocked


def test_submissions_per_minute_are_limited(learner, lab, settings):
    settings.SUBMISSIONS_PER_MINUTE = 2
    for _ in range(2):
        Submission.objects.filter(learner=learner).update(status=Submission.Status.FAILED)
        create(learner, lab)
    Submission.objects.filter(learner=learner).update(status=Submission.Status.FAILED)
    with pytest.raises(SubmissionRefused, match="último minuto"):
        create(learner, lab)


def test_grade_claims_grades_and_stores_everything(learner, lab, fake_sandbox):
    submission = create(learner, lab)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "passed"
    submission.refresh_from_db()
    assert submission.status == "passed" and submission.counted
    assert submission.score == submission.max_score == 100
    assert submission.worker_host == "w1"
    assert submission.building_at and submission.running_at and submission.checking_at and submission.finished_at
    assert submission.report["status"] == "passed" and len(submission.report["checks"]) == 9
    assert "Step 1/1" in submission.log
    # A second delivery of the same task does nothing.
    assert submission_grade(submission_id=submission.pk, worker_host="w2") == "not-claimed"
    submission.refresh_from_db()
    assert submission.worker_host == "w1"


def test_rejected_is_not_counted(learner, lab, fake_sandbox):
    submission = create(learner, lab, dockerfile="FROM ubuntu:22.04\n")
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "rejected"
    submission.refresh_from_db()
    assert submission.status == "rejected" and not submission.counted and submission.score is None


def test_platform_fault_is_retried_then_error_never_counted(
    learner, lab, fake_sandbox, sent_tasks, settings, django_capture_on_commit_callbacks
):
    settings.GRADING_MAX_RETRIES = 2
    fake_sandbox.fault_on_build = True
    submission = create(learner, lab)
    outcomes = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(submission_grade(submission_id=submission.pk, worker_host="w1"))
    assert outcomes == ["retrying", "retrying", "error"]
    submission.refresh_from_db()
    assert submission.status == "error" and not submission.counted and submission.retries == 2
    assert "daemon unreachable" in submission.error_detail
    assert [countdown for _, countdown in sent_tasks] == [10, 20]


def test_crash_inside_grading_is_a_platform_fault(learner, lab, monkeypatch):
    def explode(**kwargs):
        raise SandboxFault("no space left on device")

    monkeypatch.setattr(grading_service, "grade", explode)
    submission = create(learner, lab)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "retrying"
    submission.refresh_from_db()
    assert submission.status == "queued" and submission.retries == 1


def test_watchdog_requeues_stuck_work_and_resends_lost_messages(
    learner, lab, sent_tasks, django_capture_on_commit_callbacks
):
    stuck = create(learner, lab)
    long_ago = timezone.now() - timedelta(hours=2)
    Submission.objects.filter(pk=stuck.pk).update(status="building", building_at=long_ago)
    lost = create(UserFactory(username="perdida"), lab)
    Submission.objects.filter(pk=lost.pk).update(queued_at=long_ago)
    fresh = create(UserFactory(username="recente"), lab)
    Submission.objects.filter(pk=fresh.pk).update(status="building", building_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        counts = watchdog_run()
    assert counts == {"requeued": 1, "failed": 0, "resent": 1}
    stuck.refresh_from_db()
    assert stuck.status == "queued" and stuck.retries == 1 and "stuck" in stuck.error_detail
    assert {pk for pk, _ in sent_tasks} == {stuck.pk, lost.pk}
    assert Submission.objects.get(pk=fresh.pk).status == "building"


def test_regrade_one_and_all(learner, lab, fake_sandbox, sent_tasks, django_capture_on_commit_callbacks):
    first = create(learner, lab)
    submission_grade(submission_id=first.pk, worker_host="w1")
    other = create(UserFactory(username="b"), lab)
    submission_grade(submission_id=other.pk, worker_host="w1")
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_regrade(submission=Submission.objects.get(pk=first.pk))
    assert Submission.objects.get(pk=first.pk).status == "queued"
    assert not submission_regrade(submission=Submission.objects.get(pk=first.pk))  # still in flight
    with django_capture_on_commit_callbacks(execute=True):
        assert lab_regrade_all(offering=offering_of(lab)) == 1  # only the finished one of the other learner
    assert {pk for pk, _ in sent_tasks} == {first.pk, other.pk}


def test_regrade_every_submission_runs_beside_the_learners_new_work(
    learner, lab, fake_sandbox, sent_tasks, django_capture_on_commit_callbacks
):
    """Every finished submission is queued again at once (not only each learner's latest),
    and a regrade never holds the learner's one active slot."""
    from django.db import IntegrityError

    mine = []
    for _ in range(3):
        submission = create(learner, lab)
        submission_grade(submission_id=submission.pk, worker_host="w1")
        mine.append(submission.pk)
    theirs = create(UserFactory(username="b"), lab)
    submission_grade(submission_id=theirs.pk, worker_host="w1")
    with django_capture_on_commit_callbacks(execute=True):
        assert lab_regrade_all(offering=offering_of(lab), scope="every") == 4
    assert {pk for pk, _ in sent_tasks} == {*mine, theirs.pk}
    assert set(Submission.objects.values_list("status", "regrading")) == {("queued", True)}

    # Three of the learner's submissions are in flight as regrades; they may still submit,
    # and the one-active rule still holds for their own work.
    new = create(learner, lab)
    assert new.status == "queued" and not new.regrading
    with pytest.raises(SubmissionRefused):
        create(learner, lab)
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            learner=learner, lab=lab, offering=offering_of(lab), dockerfile="FROM python:3.11-slim\n"
        )

    for pk in [*mine, theirs.pk, new.pk]:
        assert submission_grade(submission_id=pk, worker_host="w2") == "passed"
    done = Submission.objects.filter(pk__in=[*mine, theirs.pk])
    assert all(s.status == "passed" and not s.regrading and s.worker_host == "w2" for s in done)


def test_a_regrade_keeps_the_learners_result_until_it_has_a_new_one(
    learner, lab, fake_sandbox, sent_tasks, django_capture_on_commit_callbacks
):
    """While it runs the score still counts; a regrade that ends in a platform error puts the
    earlier verdict back instead of taking the learner's result away."""
    from labs.selectors import best_score

    submission = create(learner, lab)
    submission_grade(submission_id=submission.pk, worker_host="w1")
    before = Submission.objects.get(pk=submission.pk)
    assert before.status == "passed" and before.score == 100 and before.counted
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_regrade(submission=before)
    assert best_score(user=learner, offering=offering_of(lab)) == 100  # no dip while the regrade runs
    Submission.objects.filter(pk=submission.pk).update(status="building", retries=settings.GRADING_MAX_RETRIES)
    assert submission_platform_fault(submission_id=submission.pk, detail="daemon gone") == "error"
    after = Submission.objects.get(pk=submission.pk)
    assert (after.status, after.score, after.counted, after.report) == ("passed", 100, True, before.report)
    assert after.finished_at == before.finished_at and not after.regrading and after.regrade_backup is None
    assert after.error_detail == "regrade failed, earlier verdict kept: daemon gone"
    # A learner's own submission that fails the same way still ends in error, not counted.
    own = create(learner, lab)
    Submission.objects.filter(pk=own.pk).update(status="building", retries=settings.GRADING_MAX_RETRIES)
    assert submission_platform_fault(submission_id=own.pk, detail="daemon gone") == "error"
    own.refresh_from_db()
    assert own.status == "error" and not own.counted


def test_a_run_the_watchdog_replaced_writes_nothing(
    learner, lab, fake_sandbox, sent_tasks, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """Run 1's worker looks dead (heartbeat stale, no ping answer) but is only slow: the
    watchdog requeues, run 2 claims, and whatever run 1 does next (a phase, its verdict, a
    platform fault) writes nothing; run 2's verdict stands."""
    from labs import services

    submission = create(learner, lab)
    events = {}

    def slow_first_run(**kwargs):
        if "first" not in events:
            events["first"] = kwargs["run_token"]
            stale = timezone.now() - timedelta(seconds=settings.GRADING_WORKER_LOST_SECONDS + 5)
            Submission.objects.filter(pk=submission.pk).update(heartbeat_at=stale)
            with django_capture_on_commit_callbacks(execute=True):
                assert watchdog_run(alive_workers=set())["requeued"] == 1
            assert services.submission_grade(submission_id=submission.pk, worker_host="w2") == "passed"
            with pytest.raises(services.RunSuperseded):
                kwargs["on_phase"]("running")
            assert (
                submission_platform_fault(submission_id=submission.pk, detail="late", run_token=events["first"])
                == "superseded"
            )
        return real_grade_files(**kwargs)

    real_grade_files = grading_service.grade_files
    monkeypatch.setattr(grading_service, "grade_files", slow_first_run)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "superseded"
    submission.refresh_from_db()
    assert submission.status == "passed" and submission.worker_host == "w2" and submission.retries == 1
    assert submission.error_detail == "" and submission.counted


def test_the_watchdog_waits_for_several_missed_heartbeats(learner, lab, sent_tasks, settings):
    """One unanswered ping is not a dead worker: the run's heartbeat must be stale too."""
    submission = create(learner, lab)
    long_ago = timezone.now() - timedelta(seconds=settings.GRADING_WORKER_LOST_SECONDS * 3)
    Submission.objects.filter(pk=submission.pk).update(
        status="building", building_at=long_ago, heartbeat_at=timezone.now(), worker_host="w1", run_token="abc"
    )
    assert watchdog_run(alive_workers=set())["requeued"] == 0
    Submission.objects.filter(pk=submission.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.GRADING_WORKER_LOST_SECONDS + 1)
    )
    assert watchdog_run(alive_workers={"w1"})["requeued"] == 0  # slow, but it answers
    assert watchdog_run(alive_workers=set())["requeued"] == 1


def test_a_worker_that_answers_but_no_longer_runs_the_grading_lost_it(learner, lab, sent_tasks, settings):
    """A pool process killed (out of memory) or a worker restarted under the same name (a
    Compose restart) answers pings: what it says it is running tells the run is gone."""
    submission = create(learner, lab)
    stale = timezone.now() - timedelta(seconds=settings.GRADING_WORKER_LOST_SECONDS + 1)
    Submission.objects.filter(pk=submission.pk).update(
        status="building", building_at=stale, heartbeat_at=stale, worker_host="w1", run_token="abc"
    )
    # Still running it (a slow build whose heartbeat lags): kept.
    assert watchdog_run(alive_workers={"w1"}, running={"w1": {submission.pk}})["requeued"] == 0
    # Another node's list says nothing about w1's run; w1 did not say: kept.
    assert watchdog_run(alive_workers={"w1"}, running={"w2": set()})["requeued"] == 0
    # A fresh heartbeat is not judged on the list (the run may have just begun).
    Submission.objects.filter(pk=submission.pk).update(heartbeat_at=timezone.now())
    assert watchdog_run(alive_workers={"w1"}, running={"w1": set()})["requeued"] == 0
    Submission.objects.filter(pk=submission.pk).update(heartbeat_at=stale)
    assert watchdog_run(alive_workers={"w1"}, running={"w1": {submission.pk + 1}})["requeued"] == 1
    submission.refresh_from_db()
    assert submission.status == "queued" and "no longer runs it" in submission.error_detail


@pytest.mark.django_db(transaction=True)
def test_a_grading_run_beats_while_it_works(learner, lab, fake_sandbox, monkeypatch, settings):
    settings.GRADING_HEARTBEAT_SECONDS = 0.05
    submission = create(learner, lab)
    beats = []

    def slow(**kwargs):
        import time

        first = Submission.objects.get(pk=submission.pk).heartbeat_at
        time.sleep(0.5)
        beats.append((first, Submission.objects.get(pk=submission.pk).heartbeat_at))
        return real(**kwargs)

    real = grading_service.grade_files
    monkeypatch.setattr(grading_service, "grade_files", slow)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "passed"
    ((first, later),) = beats
    assert first is not None and later is not None
    assert later > first


def test_an_uploaded_dockerfile_with_a_nul_byte_is_refused_before_it_is_stored(learner, lab):
    with pytest.raises(SubmissionRefused, match="NUL"):
        submission_create(
            learner=learner,
            offering=offering_of(lab),
            dockerfile="",
            uploads={"Dockerfile": b"FROM python:3.11-slim\x00\n"},
            lang="en",
        )
    assert not Submission.objects.exists()
