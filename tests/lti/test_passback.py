"""Grades back to the LMS (lti.passback), with the LMS's AGS and token endpoints served by a
small HTTP server on 127.0.0.1: what arrives there is what a real LMS would have received."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from lti_tool.models import LtiContext, LtiDeployment, LtiRegistration, LtiResourceLink, LtiUser

from classes.models import Class, Offering
from classes.services import ExtensionTerms, class_settings_save, extension_revoke, extensions_grant
from classes.signals import grade_changed_send
from labs.models import Submission
from labs.selectors import lab_best_scores
from labs.services import submission_create, submission_grade
from lti import passback
from lti.models import CourseClass, LinkedOffering, ScoreSend
from lti.passback import backoff_seconds, score_send, scores_send_due
from lti.services import tool_key_ensure
from quizzes.gradebook import combined
from quizzes.reviews import review_open, review_release, review_save
from tests.factories import UserFactory, default_class, lab_from_content, offering_of, quiz_from_content
from tests.labs.test_submission_services import DOCKERIGNORE, REFERENCE, fake_sandbox  # noqa: F401 (fixture)
from tests.quizzes.test_reviews import essay_attempt, levels

pytestmark = pytest.mark.django_db
State = ScoreSend.State
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
DUE = (timezone.now() - 30 * DAY).replace(microsecond=0)


class FakeAgs:
    """The LMS's token endpoint and line items. `status` and `body` are what the next score
    post is answered with; every score it accepted is in `accepted`, every post in `posts`."""

    def __init__(self) -> None:
        self.status, self.body = 200, ""
        self.posts: list[dict] = []
        self.accepted: list[dict] = []
        self.tokens = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.path == "/token":
                    with fake.lock:
                        fake.tokens += 1
                    self._answer(200, json.dumps({"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}))
                    return
                if self.path.endswith("/scores"):
                    score = json.loads(raw)
                    score["_auth"] = self.headers.get("Authorization")
                    score["_path"] = self.path
                    score["_type"] = self.headers.get("Content-Type")
                    with fake.lock:
                        fake.posts.append(score)
                        status, body = fake.status, fake.body
                        if status < 300:
                            fake.accepted.append(score)
                    self._answer(status, body)
                    return
                self._answer(404, "")

            def _answer(self, status, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def given(self) -> list[float]:
        return [s["scoreGiven"] for s in self.accepted]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ags():
    fake = FakeAgs()
    yield fake
    fake.close()


@pytest.fixture
def sends(monkeypatch, django_capture_on_commit_callbacks):
    """A new score's task runs at once, in the test (the broker is not part of these tests)."""
    from lti import tasks

    monkeypatch.setattr(tasks.send_score, "apply_async", lambda args, **kw: score_send(send_id=args[0]))


def lms_course(ags: FakeAgs, klass: Class | None = None) -> LtiRegistration:
    klass = klass or default_class()
    tool_key_ensure()
    registration = LtiRegistration.objects.create(
        name="LMS",
        issuer=ags.base,
        client_id="estaleiro",
        auth_url=f"{ags.base}/auth",
        token_url=f"{ags.base}/token",
        keyset_url=f"{ags.base}/jwks",
    )
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1", is_active=True)
    context = LtiContext.objects.create(deployment=deployment, id_on_platform="course-1", title="Docker")
    CourseClass.objects.create(context=context, klass=klass)
    return registration


def link(registration: LtiRegistration, offering: Offering, number: int = 1) -> LinkedOffering:
    context = registration.deployments.get().contexts.get()
    resource_link = LtiResourceLink.objects.create(context=context, id_on_platform=f"link-{number}")
    return LinkedOffering.objects.create(
        resource_link=resource_link,
        offering=offering,
        lineitem_url=f"{registration.issuer}/lineitems/{number}/lineitem",
    )


def came_from_lms(registration: LtiRegistration, user, sub: str | None = None) -> LtiUser:
    return LtiUser.objects.create(registration=registration, sub=sub or f"sub-{user.username}", auth_user=user)


def graded(learner, offering: Offering, score: float, *, at=None, late_penalty: float = 0.0) -> Submission:
    """A counted verdict, stored as grading stores it, then announced as grading announces it."""
    assert offering.lab is not None
    submission = Submission.objects.create(
        learner=learner,
        lab=offering.lab,
        offering=offering,
        dockerfile="FROM python:3.11-slim\n",
        status="passed",
        score=score,
        max_score=100,
        counted=True,
        late_penalty=late_penalty,
        created_at=at or timezone.now(),
        finished_at=timezone.now(),
    )
    return submission


def announce(offering: Offering, *learners, capture) -> None:
    with capture(execute=True):
        grade_changed_send(offering=offering, learner_ids=[u.pk for u in learners])


@pytest.fixture
def lab():
    return lab_from_content("primeiro-conteiner")


@pytest.fixture
def lab_link(ags, lab, learner):
    registration = lms_course(ags)
    came_from_lms(registration, learner)
    return link(registration, offering_of(lab))


def test_a_lab_verdict_reaches_the_line_item_once(
    ags,
    sends,
    lab_link,
    learner,
    fake_sandbox,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from labs import tasks as lab_tasks

    monkeypatch.setattr(lab_tasks.grade_submission, "apply_async", lambda *a, **k: None)
    submission = submission_create(
        learner=learner,
        offering=lab_link.offering,
        dockerfile=REFERENCE,
        uploads={".dockerignore": DOCKERIGNORE},
        lang="pt-BR",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_grade(submission_id=submission.pk, worker_host="test") == "passed"
    [score] = ags.accepted
    assert score["userId"] == f"sub-{learner.username}"
    assert score["scoreGiven"] == score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"] and score["_auth"] == "Bearer tok"
    assert score["_path"] == "/lineitems/1/lineitem/scores"
    assert score["_type"] == "application/vnd.ims.lis.v1.score+json"
    row = ScoreSend.objects.get()
    assert (row.state, row.tries, row.score_given) == (State.SENT, 1, Decimal(100))
    assert row.lti_user.sub == f"sub-{learner.username}"
    assert row.sent_at is not None and row.last_error == ""

    # The same grade announced again (a regrade with the same verdict): nothing is sent.
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    assert len(ags.posts) == 1 and ScoreSend.objects.count() == 1


def test_a_learner_who_never_came_through_the_lms_has_nothing_sent(
    ags, sends, lab_link, other_learner, django_capture_on_commit_callbacks
):
    graded(other_learner, lab_link.offering, 70)
    announce(lab_link.offering, other_learner, capture=django_capture_on_commit_callbacks)
    assert ags.posts == [] and not ScoreSend.objects.exists()


def test_a_regrade_with_a_new_value_is_sent_once(ags, sends, lab_link, learner, django_capture_on_commit_callbacks):
    submission = graded(learner, lab_link.offering, 60)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    Submission.objects.filter(pk=submission.pk).update(score=80)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    assert ags.given() == [60, 80]
    assert [r.state for r in ScoreSend.objects.all()] == [State.SENT, State.SENT]  # newest first


def test_a_late_penalty_changed_by_an_extension_is_sent_once(
    ags, sends, lab, learner, instructor, django_capture_on_commit_callbacks
):
    offering = offering_of(lab, due_at=DUE, late_policy=Offering.LatePolicy.PENALTY, late_penalty_percent=10)
    registration = lms_course(ags)
    came_from_lms(registration, learner)
    link(registration, offering)
    graded(learner, offering, 100, at=DUE + HOUR, late_penalty=0.1)
    announce(offering, learner, capture=django_capture_on_commit_callbacks)
    assert ags.given() == [90]
    with django_capture_on_commit_callbacks(execute=True):
        extensions_grant(
            offering=offering, learners=[learner], terms=ExtensionTerms(due_at=DUE + DAY), granted_by=instructor
        )
    assert ags.given() == [90, 100]
    with django_capture_on_commit_callbacks(execute=True):
        extension_revoke(extension=offering.extensions.get(), actor=instructor)
    assert ags.given() == [90, 100, 90]
    # A settings save that changes nobody's lateness sends nothing.
    announce(offering, learner, capture=django_capture_on_commit_callbacks)
    assert len(ags.posts) == 3


def test_an_lms_that_is_down_gets_the_score_later_from_the_sweep(
    ags, sends, lab_link, learner, django_capture_on_commit_callbacks
):
    ags.status, ags.body = 503, "maintenance"
    graded(learner, lab_link.offering, 75)
    before = timezone.now()
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    row = ScoreSend.objects.get()
    assert (row.state, row.tries) == (State.FAILED, 1) and row.next_try_at is not None
    assert "503" in row.last_error and "maintenance" in row.last_error
    assert before + timedelta(seconds=24) <= row.next_try_at <= timezone.now() + timedelta(seconds=36)
    # Not due yet: the sweep leaves it.
    assert scores_send_due() == {}
    # Due, still down: a second try, twice the wait.
    first_due = row.next_try_at
    scores_send_due(now=first_due + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.state, row.tries) == (State.FAILED, 2) and row.next_try_at is not None
    assert row.next_try_at - first_due >= timedelta(seconds=47)
    # The LMS is back: the next sweep after the wait sends it, once.
    ags.status, ags.body = 200, ""
    assert scores_send_due(now=row.next_try_at + timedelta(seconds=1)) == {"sent": 1}
    row.refresh_from_db()
    assert (row.state, row.tries, row.last_error) == (State.SENT, 3, "")
    assert ags.given() == [75]
    assert scores_send_due(now=timezone.now() + timedelta(days=1)) == {}
    assert ags.given() == [75]


def test_a_lost_task_message_is_made_up_for_by_the_sweep(
    ags, lab_link, learner, django_capture_on_commit_callbacks, monkeypatch
):
    from lti import tasks

    monkeypatch.setattr(tasks.send_score, "apply_async", lambda *a, **k: None)  # the message never arrives
    graded(learner, lab_link.offering, 64)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    assert ags.posts == [] and ScoreSend.objects.get().state == State.PENDING
    assert scores_send_due() == {"sent": 1}
    assert ags.given() == [64]


def test_backoff_doubles_from_thirty_seconds_to_an_hour_with_jitter():
    for tries, base in [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)]:
        for _ in range(20):
            assert 0.8 * base <= backoff_seconds(tries) <= 1.2 * base


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_a_refusal_for_good_is_given_up_with_the_lms_message(
    ags, sends, lab_link, learner, django_capture_on_commit_callbacks, status
):
    ags.status, ags.body = status, '{"error": "line item closed"}'
    graded(learner, lab_link.offering, 50)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    row = ScoreSend.objects.get()
    assert (row.state, row.tries, row.next_try_at) == (State.GAVE_UP, 1, None)
    assert f"HTTP {status}" in row.last_error and "line item closed" in row.last_error
    ags.status = 200
    assert scores_send_due(now=timezone.now() + timedelta(days=1)) == {}
    assert ags.accepted == []


@pytest.mark.parametrize("status", [401, 408, 429, 500, 502])
def test_a_passing_refusal_is_tried_again(ags, sends, lab_link, learner, django_capture_on_commit_callbacks, status):
    ags.status = status
    graded(learner, lab_link.offering, 50)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    assert ScoreSend.objects.get().state == State.FAILED


def test_an_unreachable_lms_is_tried_again(sends, lab, learner, django_capture_on_commit_callbacks):
    dead = FakeAgs()
    dead.close()  # nothing listens on its port any more
    registration = lms_course(dead)
    came_from_lms(registration, learner)
    the_link = link(registration, offering_of(lab))
    graded(learner, the_link.offering, 50)
    announce(the_link.offering, learner, capture=django_capture_on_commit_callbacks)
    row = ScoreSend.objects.get()
    assert row.state == State.FAILED and "ConnectionError" in row.last_error


def test_a_value_replaced_before_it_was_sent_is_never_sent(
    ags, sends, lab_link, learner, django_capture_on_commit_callbacks
):
    ags.status = 503
    submission = graded(learner, lab_link.offering, 40)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    Submission.objects.filter(pk=submission.pk).update(score=85)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    newer, older = ScoreSend.objects.all()
    assert (older.score_given, older.state) == (Decimal(40), State.SUPERSEDED)
    assert (newer.score_given, newer.state) == (Decimal(85), State.FAILED)
    ags.status = 200
    later = timezone.now() + timedelta(days=1)
    assert scores_send_due(now=later) == {"sent": 1}
    assert ags.given() == [85]
    # Even handed to a send directly, a superseded row is not sent.
    assert score_send(send_id=older.pk) == "not-claimed"
    assert ags.given() == [85]


def test_back_to_the_value_the_lms_holds_sends_nothing(
    ags, sends, lab_link, learner, django_capture_on_commit_callbacks
):
    submission = graded(learner, lab_link.offering, 70)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    ags.status = 503
    Submission.objects.filter(pk=submission.pk).update(score=30)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    Submission.objects.filter(pk=submission.pk).update(score=70)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    assert [r.state for r in ScoreSend.objects.all()] == [State.SUPERSEDED, State.SENT]
    assert ags.given() == [70]


def test_a_row_held_by_one_send_is_not_sent_by_another(ags, lab_link, learner, monkeypatch):
    from lti import tasks

    monkeypatch.setattr(tasks.send_score, "apply_async", lambda *a, **k: None)
    graded(learner, lab_link.offering, 90)
    grade_changed_send(offering=lab_link.offering, learner_ids=[learner.pk])
    row = ScoreSend.objects.get()
    # Another worker claimed it a moment ago and is sending it.
    ScoreSend.objects.filter(pk=row.pk).update(claim_token="other", claimed_until=timezone.now() + timedelta(minutes=2))
    assert score_send(send_id=row.pk) == "not-claimed"
    assert scores_send_due() == {}
    # That worker died: once its claim lapses, the row is sent.
    assert scores_send_due(now=timezone.now() + timedelta(minutes=3)) == {"sent": 1}
    assert ags.given() == [90]
    assert score_send(send_id=row.pk) == "not-claimed"


def test_lab_grade_is_the_best_or_the_latest_as_the_class_says(
    client, ags, sends, lab_link, learner, instructor, django_capture_on_commit_callbacks
):
    offering = lab_link.offering
    graded(learner, offering, 90, at=timezone.now() - 2 * HOUR)
    graded(learner, offering, 70, at=timezone.now() - HOUR)
    announce(offering, learner, capture=django_capture_on_commit_callbacks)
    assert ags.given() == [90]
    client.force_login(learner)
    page = client.get(reverse("labs:detail", args=[offering.klass_id, offering.slug])).content.decode()
    assert "Melhor nota: <strong>90</strong>" in page
    klass = Class.objects.get(pk=offering.klass_id)
    klass.lab_score_rule = Class.LabScoreRule.LATEST
    with django_capture_on_commit_callbacks(execute=True):
        class_settings_save(klass=klass, actor=instructor, changed=["lab_score_rule"])
    assert ags.given() == [90, 70]
    # The class's gradebook and the lab's score export follow the same rule.
    offering.refresh_from_db()
    header, rows = combined(klass=klass)
    [row] = [r for r in rows if r[0] == learner.username]
    assert row[header.index(f"lab:{offering.slug} (points of 100)")] == 70
    [export] = lab_best_scores(offering=Offering.objects.select_related("klass").get(pk=offering.pk))
    assert export["best"] == 70
    # And so does what the learner reads as their grade on the lab's page.
    client.force_login(learner)
    page = client.get(reverse("labs:detail", args=[klass.pk, offering.slug])).content.decode()
    assert "Nota (última entrega avaliada): <strong>70</strong>" in page


def test_the_class_settings_form_offers_the_lab_grade_rule(client, instructor):
    client.force_login(instructor)
    klass = default_class()
    page = client.get(reverse("classes:settings", args=[klass.pk]))
    assert 'name="lab_score_rule"' in page.content.decode()
    form = {"name": klass.name, "term": klass.term, "lab_score_rule": "latest", "join_open": "on"}
    client.post(reverse("classes:settings", args=[klass.pk]), form)
    klass.refresh_from_db()
    assert klass.lab_score_rule == Class.LabScoreRule.LATEST


def test_a_quiz_grade_is_sent_only_once_its_essays_are_released(
    ags, sends, learner, instructor, django_capture_on_commit_callbacks
):
    quiz = quiz_from_content()
    offering = offering_of(quiz)
    registration = lms_course(ags)
    came_from_lms(registration, learner)
    link(registration, offering)
    with django_capture_on_commit_callbacks(execute=True):
        answer = essay_attempt(quiz, learner)  # q1 right, the essay awaiting review
    assert ags.posts == []
    review, _holder = review_open(answer=answer, reviewer=instructor)
    with django_capture_on_commit_callbacks(execute=True):
        review_save(
            review_id=review.pk,
            reviewer=instructor,
            version=review.version,
            level_ids=levels(quiz, ["Completa", "Parcial", "Completa", "Ausente"]),
            adjustment=0.25,
            comment="",
            complete=True,
        )
    assert ags.posts == []  # reviewed, not released
    with django_capture_on_commit_callbacks(execute=True):
        review_release(klass=default_class(), quiz=quiz)
    [score] = ags.accepted
    assert score["scoreMaximum"] == quiz.max_score
    assert score["scoreGiven"] == pytest.approx(3.75, abs=0.001)


def test_practice_quizzes_send_nothing(ags, sends, learner, django_capture_on_commit_callbacks):
    quiz = quiz_from_content(is_practice=True)
    offering = offering_of(quiz)
    registration = lms_course(ags)
    came_from_lms(registration, learner)
    link(registration, offering)
    with django_capture_on_commit_callbacks(execute=True):
        essay_attempt(quiz, learner, text="")
    assert ags.posts == []


def test_a_failing_receiver_never_undoes_the_grade(lab_link, learner, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(passback, "offering_grades", broken)
    submission = graded(learner, lab_link.offering, 55)
    grade_changed_send(offering=lab_link.offering, learner_ids=[learner.pk])
    assert Submission.objects.get(pk=submission.pk).score == 55
    assert "grade_changed receiver" in caplog.text


# The instructor's page


def test_the_page_shows_each_learners_newest_send_and_resends(
    client, ags, sends, lab_link, learner, instructor, django_capture_on_commit_callbacks
):
    ags.status, ags.body = 503, "<b>down</b>"
    graded(learner, lab_link.offering, 66)
    announce(lab_link.offering, learner, capture=django_capture_on_commit_callbacks)
    never = UserFactory(username="sem-nota")
    came_from_lms(LtiRegistration.objects.get(), never)
    client.force_login(instructor)
    url = reverse("lti:class-grades", args=[default_class().pk])
    body = client.get(url).content.decode()
    assert learner.username in body and "66" in body and 'data-state="failed"' in body
    assert "&lt;b&gt;down&lt;/b&gt;" in body and "<b>down</b>" not in body  # the LMS's text, escaped
    assert "sem-nota" in body
    assert 'id="resend-failed"' in body
    # The class menu leads there.
    assert url in client.get(reverse("classes:detail", args=[default_class().pk])).content.decode()

    ags.status = 200  # its body still not JSON: a 2xx is a delivered score all the same
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("lti:grade-resend", args=[default_class().pk, lab_link.pk, learner.pk]))
    assert ags.given() == [66]
    newest = ScoreSend.objects.first()
    assert (newest.state, newest.requested_by) == (State.SENT, instructor)
    assert ScoreSend.objects.last().state == State.SUPERSEDED
    # A resend sends the grade again even though the LMS has it (the LMS may have lost it).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("lti:grade-resend", args=[default_class().pk, lab_link.pk, learner.pk]))
    assert ags.given() == [66, 66]
    # A learner with no final grade: nothing to send, and the page says so.
    response = client.post(reverse("lti:grade-resend", args=[default_class().pk, lab_link.pk, never.pk]), follow=True)
    assert "ainda" in response.content.decode()


def test_resend_all_failed(
    client, ags, sends, lab, learner, other_learner, instructor, django_capture_on_commit_callbacks
):
    registration = lms_course(ags)
    the_link = link(registration, offering_of(lab))
    for user in (learner, other_learner):
        came_from_lms(registration, user)
        graded(user, the_link.offering, 80)
    ags.status = 400
    announce(the_link.offering, learner, capture=django_capture_on_commit_callbacks)
    ags.status = 503
    announce(the_link.offering, other_learner, capture=django_capture_on_commit_callbacks)
    assert sorted(r.state for r in ScoreSend.objects.all()) == [State.FAILED, State.GAVE_UP]
    ags.status = 200
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("lti:grades-resend-failed", args=[default_class().pk]))
    assert ags.given() == [80, 80]
    assert {r.score_given for r in ScoreSend.objects.filter(state=State.SENT)} == {Decimal("80.000")}


def test_a_class_that_is_no_lms_course_has_no_menu_entry_and_says_so(client, instructor):
    client.force_login(instructor)
    url = reverse("lti:class-grades", args=[default_class().pk])
    assert url not in client.get(reverse("classes:detail", args=[default_class().pk])).content.decode()
    assert 'id="no-lms-course"' in client.get(url).content.decode()
