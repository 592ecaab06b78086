"""The class of an LMS course follows the LMS's roster (names and roles service), with the
LMS faked at the HTTP boundary: its token endpoint and its membership pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from lti_tool.models import LtiContext, LtiUser

from classes.models import Membership, Role
from config.celery import app as celery_app
from lti.models import CourseClass
from lti.roster import ROSTER_SYNC_ALL_TASK, ROSTER_SYNC_TASK, courses_to_sync, roster_sync
from lti.services import account_for
from tests.factories import UserFactory, other_class
from tests.lti import tokens
from tests.lti.tokens import INSTRUCTOR, LEARNER, MEMBERSHIPS_URL, MENTOR, NRPS_SCOPE, TEACHING_ASSISTANT

User = get_user_model()
pytestmark = pytest.mark.django_db
PAGE_2 = MEMBERSHIPS_URL + "?page=2"


def member(sub: str, *roles: str, status: str = "Active", **extra) -> dict:
    return {"user_id": sub, "roles": list(roles), "status": status, "given_name": sub.title(), **extra}


@pytest.fixture
def lms(monkeypatch):
    return tokens.lms_install(monkeypatch)


@pytest.fixture
def course(lms):
    context = LtiContext.objects.create(
        deployment=lms.deployment, id_on_platform="course-1", title="Docker", memberships_url=MEMBERSHIPS_URL
    )
    from lti.services import course_class

    course_class(context)
    return CourseClass.objects.get(context=context)


def from_lms(lms, sub: str, role: str, klass):
    """Someone who came from the LMS before (a launch or an earlier sync)."""
    lti_user = LtiUser.objects.create(registration=lms.registration, sub=sub)
    user = account_for(lti_user)
    Membership.objects.create(klass=klass, user=user, role=role)
    return user


def roles_in(klass) -> dict[str, str]:
    return {
        lti_user.sub: m.role
        for m in Membership.objects.filter(klass=klass)
        for lti_user in LtiUser.objects.filter(auth_user_id=m.user_id)
    }


def test_members_arrive_with_their_roles_across_pages(lms, course):
    lms.pages = {
        MEMBERSHIPS_URL: ([member("t1", INSTRUCTOR), member("ta1", TEACHING_ASSISTANT)], PAGE_2),
        PAGE_2: ([member("l1", LEARNER, email="l1@example.test"), member("m1", MENTOR)], None),
    }
    lms.serve_pages()
    result = roster_sync(course=course)
    assert result.ok, result.error
    assert roles_in(course.klass) == {"t1": Role.TEACHER, "ta1": Role.ASSISTANT, "l1": Role.LEARNER}
    assert ("GET", PAGE_2) in lms.calls
    token_call = [c for c in lms.calls if c == ("POST", tokens.TOKEN_URL)]
    assert len(token_call) == 1  # one access token for every page
    course.refresh_from_db()
    assert course.roster_synced_at is not None and course.roster_sync_error == ""
    assert LtiUser.objects.get(sub="l1").auth_user.email == "l1@example.test"


def test_a_second_sync_changes_nothing_and_reuses_accounts(lms, course):
    lms.pages = {MEMBERSHIPS_URL: ([member("t1", INSTRUCTOR), member("l1", LEARNER)], None)}
    lms.serve_pages()
    roster_sync(course=course)
    users, memberships = User.objects.count(), Membership.objects.count()
    assert roster_sync(course=course).ok
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


def test_inactive_deleted_and_unlisted_lms_members_leave_and_hand_added_people_stay(lms, course):
    klass = course.klass
    from_lms(lms, "t1", Role.TEACHER, klass)
    for sub in ("inactive", "deleted", "unlisted", "staying"):
        from_lms(lms, sub, Role.LEARNER, klass)
    by_hand = UserFactory(username="by-hand", enrol=False)
    Membership.objects.create(klass=klass, user=by_hand, role=Role.LEARNER)
    elsewhere = from_lms(lms, "elsewhere", Role.LEARNER, other_class())
    lms.pages = {
        MEMBERSHIPS_URL: (
            [
                member("t1", INSTRUCTOR),
                member("staying", LEARNER),
                member("inactive", LEARNER, status="Inactive"),
                member("deleted", LEARNER, status="Deleted"),
            ],
            None,
        )
    }
    lms.serve_pages()
    result = roster_sync(course=course)
    assert result.ok
    assert sorted(result.removed) == sorted(
        LtiUser.objects.get(sub=s).auth_user.username for s in ("inactive", "deleted", "unlisted")
    )
    assert roles_in(klass) == {"t1": Role.TEACHER, "staying": Role.LEARNER}
    assert Membership.objects.filter(klass=klass, user=by_hand).exists()
    assert Membership.objects.filter(user=elsewhere).exists()
    assert User.objects.filter(lti_users__sub="unlisted").exists()  # the account and its work stay


def test_the_last_teacher_stays_when_the_lms_no_longer_lists_them(lms, course):
    teacher = from_lms(lms, "t1", Role.TEACHER, course.klass)
    lms.pages = {MEMBERSHIPS_URL: ([member("l1", LEARNER)], None)}
    lms.serve_pages()
    result = roster_sync(course=course)
    assert result.ok and result.kept == [teacher.username]
    assert Membership.objects.get(klass=course.klass, user=teacher).role == Role.TEACHER


@pytest.mark.parametrize("fault", ["down", "500", "not-json", "empty"])
def test_lms_fault_records_the_error_and_removes_nobody(lms, course, fault):
    klass = course.klass
    from_lms(lms, "t1", Role.TEACHER, klass)
    from_lms(lms, "l1", Role.LEARNER, klass)
    before = roles_in(klass)
    if fault == "500":
        lms.routes[("GET", MEMBERSHIPS_URL)] = lambda kw: tokens.response(status=500, body={"error": "boom"})
    elif fault == "not-json":
        lms.routes[("GET", MEMBERSHIPS_URL)] = lambda kw: tokens.response(body={"members": "nobody"})
    elif fault == "empty":
        lms.pages = {MEMBERSHIPS_URL: ([], None)}
        lms.serve_pages()
    # "down": nothing answers at the memberships URL
    result = roster_sync(course=course)
    assert not result.ok and result.error
    assert roles_in(klass) == before
    course.refresh_from_db()
    assert course.roster_synced_at is None
    assert course.roster_sync_error == result.error


def test_token_endpoint_refusing_is_an_error_too(lms, course):
    lms.routes[("POST", tokens.TOKEN_URL)] = lambda kw: tokens.response(status=401, body={"error": "invalid_client"})
    result = roster_sync(course=course)
    assert not result.ok and "401" in result.error
    assert NRPS_SCOPE  # the scope PyLTI1p3 asks for is the read-only one


def test_a_successful_sync_clears_the_last_error(lms, course):
    CourseClass.objects.filter(pk=course.pk).update(roster_sync_error="earlier failure")
    lms.pages = {MEMBERSHIPS_URL: ([member("t1", INSTRUCTOR)], None)}
    lms.serve_pages()
    assert roster_sync(course=course).ok
    course.refresh_from_db()
    assert course.roster_sync_error == ""


def test_the_nightly_task_queues_one_sync_per_course_with_a_roster_service(lms, course, monkeypatch):
    LtiContext.objects.create(deployment=lms.deployment, id_on_platform="no-nrps")
    from lti.services import course_class

    course_class(LtiContext.objects.get(id_on_platform="no-nrps"))
    assert courses_to_sync() == [course.pk]
    queued = []
    monkeypatch.setattr(celery_app.tasks[ROSTER_SYNC_TASK], "delay", lambda course_id: queued.append(course_id))
    assert celery_app.tasks[ROSTER_SYNC_ALL_TASK].apply().get() == 1
    assert queued == [course.pk]


def test_the_beat_schedule_syncs_at_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lti-roster-sync-nightly"]
    assert entry["task"] == ROSTER_SYNC_ALL_TASK
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour <= {0, 1, 2, 3, 4, 5}


def test_the_sync_task_runs_the_service(lms, course):
    lms.pages = {MEMBERSHIPS_URL: ([member("t1", INSTRUCTOR)], None)}
    lms.serve_pages()
    assert celery_app.tasks[ROSTER_SYNC_TASK].apply(args=(course.pk,)).get() is True
    assert celery_app.tasks[ROSTER_SYNC_TASK].apply(args=(999999,)).get() is None


# --- the people page -----------------------------------------------------------------


def teacher_client(lms, course) -> tuple[Client, object]:
    teacher = from_lms(lms, "t1", Role.TEACHER, course.klass)
    client = Client()
    client.force_login(teacher)
    return client, teacher


def test_teachers_see_the_last_sync_and_its_error_on_the_people_page(lms, course):
    CourseClass.objects.filter(pk=course.pk).update(roster_sync_error="HTTP 503 <b>down</b>")
    client, _teacher = teacher_client(lms, course)
    page = client.get(reverse("classes:people", args=[course.klass_id]))
    body = page.content.decode()
    assert 'id="lms-roster-sync"' in body
    assert "HTTP 503 &lt;b&gt;down&lt;/b&gt;" in body
    assert reverse("lti:roster-sync", args=[course.klass_id]) in body


def test_the_button_queues_a_sync(lms, course, monkeypatch, django_capture_on_commit_callbacks):
    client, _teacher = teacher_client(lms, course)
    queued = []
    monkeypatch.setattr(celery_app.tasks[ROSTER_SYNC_TASK], "delay", lambda course_id: queued.append(course_id))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("lti:roster-sync", args=[course.klass_id]), HTTP_ACCEPT_LANGUAGE="pt-br")
    assert resp.status_code == 302 and resp["Location"] == reverse("classes:people", args=[course.klass_id])
    assert queued == [course.pk]
    assert any("sincronização pedida" in str(m).lower() for m in get_messages(resp.wsgi_request))


def test_learners_may_not_ask_for_a_sync_and_a_class_without_lms_has_no_button(lms, course):
    learner = from_lms(lms, "l1", Role.LEARNER, course.klass)
    client = Client()
    client.force_login(learner)
    assert client.post(reverse("lti:roster-sync", args=[course.klass_id])).status_code == 403
    teacher = UserFactory(username="teacher-elsewhere", enrol=False)
    klass = other_class()
    Membership.objects.create(klass=klass, user=teacher, role=Role.TEACHER)
    client.force_login(teacher)
    assert "lms-roster" not in client.get(reverse("classes:people", args=[klass.pk])).content.decode()
    assert client.post(reverse("lti:roster-sync", args=[klass.pk])).status_code == 404
