"""LTI 1.3 launches with id_tokens crafted and signed here, through the Django test client:
the OIDC login, the launch, what it makes in Estaleiro, and every launch it must refuse
without leaving a trace."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from lti_tool.models import LtiContext, LtiDeployment, LtiMembership, LtiResourceLink, LtiUser

from classes.models import Class, Membership, Offering, Role
from lti import errors
from lti.models import CourseClass, LinkedOffering
from tests.factories import UserFactory, lab_from_content, quiz_from_content
from tests.lti import tokens
from tests.lti.tokens import INSTRUCTOR, LEARNER, MENTOR, TEACHING_ASSISTANT

User = get_user_model()
pytestmark = pytest.mark.django_db

COUNTED = (
    User,
    Class,
    Membership,
    Offering,
    LtiUser,
    LtiContext,
    LtiDeployment,
    LtiResourceLink,
    LtiMembership,
    CourseClass,
    LinkedOffering,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def lms(monkeypatch, settings):
    settings.LTI_CLOCK_SKEW_SECONDS = 60
    settings.LTI_JWKS_CACHE_SECONDS = 3600
    quiz_from_content("aula-45")
    return tokens.lms_install(monkeypatch)


@pytest.fixture
def browser_client():
    # On loopback, as a browser in the LMS's frame reaches a tool under test.
    return Client(HTTP_HOST=tokens.TOOL_HOST)


def launch_as(client, lms, **claim_args):
    state, nonce = tokens.oidc_login(client, lms)
    sign_args = {k: claim_args.pop(k) for k in ("kid", "key_of") if k in claim_args}
    token = tokens.sign(tokens.claims(nonce=nonce, **claim_args), **sign_args)
    return tokens.launch(client, state=state, token=token)


def assert_refused(resp, message, status=403):
    assert resp.status_code == status
    assert resp.templates and resp.templates[0].name == "lti/refused.html"
    assert resp.context["message"] == str(message)
    assert str(message).encode() in resp.content.replace(b"&#x27;", b"'")


def course_class() -> Class:
    return CourseClass.objects.get(context__id_on_platform="course-1").klass


# --- accepted launches ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "role"),
    [([INSTRUCTOR], Role.TEACHER), ([TEACHING_ASSISTANT], Role.ASSISTANT), ([LEARNER], Role.LEARNER)],
)
def test_a_launch_makes_the_course_a_class_with_the_lms_role(lms, browser_client, roles, role):
    resp = launch_as(browser_client, lms, roles=roles, sub=f"sub-{role}")
    assert resp.status_code == 302
    klass = course_class()
    assert klass.name == "Containerização com Docker"
    lti_user = LtiUser.objects.get(registration=lms.registration, sub=f"sub-{role}")
    assert lti_user.auth_user is not None
    assert Membership.objects.get(klass=klass, user=lti_user.auth_user).role == role
    link = LinkedOffering.objects.get(resource_link__id_on_platform="resource-1")
    assert link.offering.klass == klass and link.offering.quiz.slug == "aula-45"
    assert link.lineitem_url == f"{tokens.LINEITEMS_URL}/resource-1"


def test_a_learner_lands_on_the_linked_quiz(lms, browser_client):
    resp = launch_as(browser_client, lms)
    offering = LinkedOffering.objects.get().offering
    expected = reverse("quizzes:detail", kwargs={"class_id": offering.klass_id, "slug": "aula-45"})
    assert resp["Location"] == expected
    page = browser_client.get(expected)
    assert page.status_code == 200
    assert page.wsgi_request.user.username.startswith("lms")


def test_a_learner_lands_on_the_linked_lab(lms, browser_client):
    lab_from_content("primeiro-conteiner")
    resp = launch_as(browser_client, lms, item="lab:primeiro-conteiner", resource_link_id="resource-lab")
    offering = LinkedOffering.objects.get(resource_link__id_on_platform="resource-lab").offering
    expected = reverse("labs:detail", kwargs={"class_id": offering.klass_id, "slug": "primeiro-conteiner"})
    assert resp["Location"] == expected
    assert browser_client.get(expected).status_code == 200


def test_a_second_launch_reuses_the_account_the_class_and_the_offering(lms, browser_client):
    launch_as(browser_client, lms, sub="same-sub")
    first = counts()
    resp = launch_as(Client(HTTP_HOST=tokens.TOOL_HOST), lms, sub="same-sub")
    assert resp.status_code == 302
    assert counts() == first
    assert LtiUser.objects.get(sub="same-sub").auth_user.lti_users.count() == 1


def test_an_account_is_matched_by_sub_never_by_e_mail(lms, browser_client):
    existing = UserFactory(username="ana", email="ana@example.test")
    resp = launch_as(browser_client, lms, sub="another-person", email="ana@example.test")
    assert resp.status_code == 302
    lti_user = LtiUser.objects.get(sub="another-person")
    assert lti_user.auth_user != existing
    assert browser_client.get(resp["Location"]).wsgi_request.user != existing
    # The address stays with the account that had it.
    assert lti_user.auth_user.email == ""
    assert not Membership.objects.filter(klass=course_class(), user=existing).exists()


def test_cookies_cross_the_lms_frame_and_only_the_platform_may_frame(lms, browser_client):
    state, nonce = tokens.oidc_login(browser_client, lms)
    state_cookie = browser_client.cookies["lti1p3-" + state]
    assert state_cookie["samesite"] == "None; Partitioned" and state_cookie["secure"]
    resp = tokens.launch(browser_client, state=state, token=tokens.sign(tokens.claims(nonce=nonce)))
    session = resp.cookies["sessionid"]
    assert session["samesite"] == "None; Partitioned" and session["secure"]
    page = browser_client.get(resp["Location"])
    assert page.status_code == 200
    assert page["Content-Security-Policy"] == f"frame-ancestors 'self' {tokens.ISSUER}"
    assert "X-Frame-Options" not in page


def test_a_canvas_course_page_may_frame_estaleiro(lms, browser_client):
    """Canvas's issuer and login are Instructure's; the course is at the school's address."""
    lms.registration.auth_url = "https://sso.lms.example.test/api/lti/authorize_redirect"
    lms.registration.token_url = "https://escola.lms-cloud.example.test/login/oauth2/token"
    lms.registration.save()
    resp = launch_as(browser_client, lms)
    policy = browser_client.get(resp["Location"])["Content-Security-Policy"]
    assert "https://escola.lms-cloud.example.test" in policy.split()
    assert tokens.ISSUER in policy.split()


def test_the_course_page_named_by_the_signed_launch_may_frame_estaleiro(lms, browser_client):
    """Canvas's issuer, login and token endpoint may all be the vendor's: the launch's return URL
    and platform URL (signed by the LMS) name the school's own address, where the course is."""
    state, nonce = tokens.oidc_login(browser_client, lms)
    body = tokens.claims(nonce=nonce)
    body[tokens.CLAIM + "launch_presentation"] = {"return_url": "https://escola.example.test/course/7"}
    body[tokens.CLAIM + "tool_platform"] = {"guid": "g", "url": "https://ava.example.test/"}
    resp = tokens.launch(browser_client, state=state, token=tokens.sign(body))
    policy = browser_client.get(resp["Location"])["Content-Security-Policy"].split()
    assert {"https://escola.example.test", "https://ava.example.test", tokens.ISSUER} <= set(policy)
    assert "javascript:" not in " ".join(policy)


def test_a_session_begun_on_estaleiro_keeps_its_own_cookies(db):
    client = Client(HTTP_HOST=tokens.TOOL_HOST)
    client.force_login(UserFactory(username="own"))
    resp = client.get("/")
    assert "frame-ancestors" not in resp.get("Content-Security-Policy", "")


def test_a_new_key_published_after_the_cache_was_filled_is_fetched_and_accepted(lms, browser_client):
    assert launch_as(browser_client, lms).status_code == 302
    assert lms.fetches() == 1
    assert launch_as(Client(HTTP_HOST=tokens.TOOL_HOST), lms, sub="second").status_code == 302
    assert lms.fetches() == 1  # cached
    lms.published = ["platform-1", "platform-2"]
    resp = launch_as(Client(HTTP_HOST=tokens.TOOL_HOST), lms, sub="third", kid="platform-2")
    assert resp.status_code == 302
    assert lms.fetches() == 2


def test_learner_after_launch_may_not_open_the_class_management_pages(lms, browser_client):
    launch_as(browser_client, lms)
    klass = course_class()
    assert browser_client.get(reverse("classes:people", args=[klass.pk])).status_code == 403
    assert browser_client.get(reverse("lti:deep-link-missing", args=[klass.pk])).status_code == 403


def test_an_instructor_deep_linking_gets_the_picker(lms, browser_client):
    resp = launch_as(browser_client, lms, roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest")
    assert resp.status_code == 302 and resp["Location"] == reverse("lti:deep-link")
    assert browser_client.get(resp["Location"]).status_code == 200


# --- refused launches: a clear page, nothing made ------------------------------------


def test_wrong_issuer(lms, browser_client):
    state, nonce = tokens.oidc_login(browser_client, lms)
    before = counts()
    body = tokens.claims(nonce=nonce) | {"iss": "https://other-lms.example.test"}
    assert_refused(tokens.launch(browser_client, state=state, token=tokens.sign(body)), errors.UNKNOWN_PLATFORM)
    assert counts() == before


def test_login_from_an_unregistered_platform(lms, browser_client):
    resp = browser_client.get(
        "/lti/login/00000000-0000-4000-8000-000000000000/",
        {"iss": tokens.ISSUER, "login_hint": "x", "target_link_uri": tokens.LAUNCH_URL},
    )
    assert_refused(resp, errors.UNKNOWN_PLATFORM, status=404)


def test_unknown_deployment(lms, browser_client):
    state, nonce = tokens.oidc_login(browser_client, lms)
    before = counts()
    body = tokens.claims(nonce=nonce) | {tokens.CLAIM + "deployment_id": "never-registered"}
    resp = tokens.launch(browser_client, state=state, token=tokens.sign(body))
    assert_refused(resp, errors.explain(Exception("Unable to find deployment")))
    assert counts() == before
    assert not LtiDeployment.objects.filter(deployment_id="never-registered").exists()


def test_inactive_deployment(lms, browser_client):
    LtiDeployment.objects.filter(pk=lms.deployment.pk).update(is_active=False)
    before = counts()
    resp = launch_as(browser_client, lms)
    assert_refused(resp, errors.explain(Exception("Unable to find deployment")))
    assert counts() == before


def test_replayed_nonce(lms, browser_client):
    state, nonce = tokens.oidc_login(browser_client, lms)
    token = tokens.sign(tokens.claims(nonce=nonce))
    assert tokens.launch(browser_client, state=state, token=token).status_code == 302
    before = counts()
    resp = tokens.launch(browser_client, state=state, token=token)
    assert_refused(resp, errors.explain(Exception("replayed nonce")))
    assert counts() == before


def test_expired_token(lms, browser_client, settings):
    before = counts()
    resp = launch_as(browser_client, lms, now=time.time() - 300 - settings.LTI_CLOCK_SKEW_SECONDS - 30)
    assert_refused(resp, errors.explain(Exception("Signature has expired")))
    assert counts() == before


def test_token_issued_in_the_future_beyond_the_skew(lms, browser_client, settings):
    before = counts()
    resp = launch_as(browser_client, lms, now=time.time() + settings.LTI_CLOCK_SKEW_SECONDS + 30)
    assert_refused(resp, errors.explain(Exception("not yet valid")))
    assert counts() == before


def test_token_issued_in_the_future_within_the_skew_is_accepted(lms, browser_client, settings):
    resp = launch_as(browser_client, lms, now=time.time() + settings.LTI_CLOCK_SKEW_SECONDS - 20)
    assert resp.status_code == 302


def test_bad_signature(lms, browser_client):
    before = counts()
    resp = launch_as(browser_client, lms, kid="platform-1", key_of="intruder")
    assert_refused(resp, errors.explain(Exception("Signature verification failed")))
    assert counts() == before


def test_a_kid_the_platform_does_not_publish(lms, browser_client):
    launch_as(browser_client, lms, sub="fills-the-cache")
    before, fetched = counts(), lms.fetches()
    resp = launch_as(Client(HTTP_HOST=tokens.TOOL_HOST), lms, kid="intruder")
    assert_refused(resp, errors.explain(Exception("Unable to find public key")))
    assert counts() == before
    assert lms.fetches() == fetched + 1  # fetched again once, in case of a rotation


def test_a_mentor_only_role(lms, browser_client):
    before = counts()
    resp = launch_as(browser_client, lms, roles=[MENTOR])
    assert resp.status_code == 403
    assert "Mentor" in resp.context["message"]
    assert counts() == before


def test_a_learner_launching_deep_linking(lms, browser_client):
    before = counts()
    resp = launch_as(browser_client, lms, roles=[LEARNER], message_type="LtiDeepLinkingRequest")
    assert resp.status_code == 403
    assert resp.templates[0].name == "lti/refused.html"
    assert counts() == before
    assert not resp.wsgi_request.user.is_authenticated


def test_keys_unreachable(lms, browser_client):
    del lms.routes[("GET", tokens.KEYSET_URL)]
    before = counts()
    resp = launch_as(browser_client, lms)
    assert_refused(resp, errors.explain(Exception("Error during fetch URL")))
    assert counts() == before


def test_a_launch_without_its_state_cookie(lms, browser_client):
    state, nonce = tokens.oidc_login(browser_client, lms)
    before = counts()
    resp = tokens.launch(Client(HTTP_HOST=tokens.TOOL_HOST), state=state, token=tokens.sign(tokens.claims(nonce=nonce)))
    assert_refused(resp, errors.explain(Exception("State not found")))
    assert counts() == before
