"""Every URL of the project with hostile query and form values: never a 5xx.

The URLs come from the URLconf itself (a new one is walked without being listed here), their
path converters filled with objects the factories made (in one class). Each is called as
anonymous, as the learner who owns the objects, as a teaching assistant and as the teacher of
their class (a superuser for Django's admin), with GET and with POST. The keys sent are every
key the view reads — found by recording which keys a first, empty request looks up in
request.GET and request.POST — plus the usual suspects; the values are what a fuzzer or a
curious learner types: non-numbers, superscript and non-ASCII digits, negatives, huge numbers,
NUL, line breaks, very long text, repeated keys."""

import re
from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from classes.models import Extension, Membership
from labs.models import Submission
from quizzes.reviews import review_open, review_save
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, enrol_in, lab_from_content, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "x",
    "²",
    "٣",
    "７",
    "-1",
    "0",
    "9" * 40,
    "1e309",
    "NaN",
    "",
    " ",
    "\x00",
    "a\x00b",
    "2026-02-30",
    "\r\nSet-Cookie: x=1",
    "ação 🐳",
    "'\"<script>alert(1)</script>",
    "../../etc/passwd",
    "%",
    "x" * 5_000,
]
# The values that break number and date parsers, also sent one key at a time (so that a
# key read only after another key parsed well is reached too).
NUMBER_BREAKERS = ["x", "²", "٣", "-1", "9" * 40, "\x00", "1e309"]
ALWAYS_SENT = ["page", "q", "next", "o", "p", "e", "all", "log_from", "log_epoch", "since", "until"]

# Django's admin has one set of views for every model: its URLs are walked as the superuser,
# with every value at once (the one-key-at-a-time pass is for the project's own views).
ADMIN = "admin"


def url_patterns(patterns=None, prefix="", namespace=""):
    """(key, name or None, route, path parameters) of every URL, admin's included."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            params = re.findall(r"<(?:\w+:)?(\w+)>", route)
            yield name or f"{namespace}{route}", name, route, params


ALL_URLS = {key: (name, route, params) for key, name, route, params in url_patterns()}


def build_url(name: str | None, route: str, kwargs: dict) -> str:
    if name:
        return reverse(name, kwargs=kwargs)
    # An unnamed pattern (the admin's object shortcut, its catch-all): fill the route itself.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m[1]]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), path)
    return "/" + path.replace("^", "").replace("$", "")


def _admin_objects() -> dict[str, object]:
    """admin url name prefix (app_model) -> one existing object of that model."""
    return {
        f"{model._meta.app_label}_{model._meta.model_name}": model._default_manager.order_by("pk").first()
        for model in admin.site._registry
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Made once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint of it, so what one test's hostile posts change is undone after it."""
    from django.contrib.auth.models import User
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        instructor = UserFactory(username="instrutora-h", instructor=True)
        assistant = UserFactory(username="monitora-h", enrol=False)
        enrol_in(assistant, role="assistant")
        learner = UserFactory(username="aprendiz-h", email="aprendiz@example.org")
        superuser = User.objects.create_superuser("raiz-h", "raiz@example.org", "senha-raiz-123")
        klass = default_class()
        lab = lab_from_content("primeiro-conteiner")
        quiz = quiz_from_content()
        lab_offering, quiz_offering = offering_of(lab), offering_of(quiz)
        submission = Submission.objects.create(
            learner=learner,
            lab=lab,
            offering=lab_offering,
            dockerfile="FROM python:3.11-slim\n",
            status="failed",
            report={"status": "failed", "checks": [], "rejections": []},
        )
        attempt = attempt_start(offering=quiz_offering, learner=learner)
        essay = quiz.questions.get(key="q5")
        answer = answer_save(attempt=attempt, question=essay, choice_ids=[], text="uma resposta")
        attempt_submit(attempt=attempt)
        review, _ = review_open(answer=answer, reviewer=instructor)
        review_save(
            review_id=review.pk,
            reviewer=instructor,
            version=review.version,
            level_ids=[],
            adjustment=1,
            comment="um comentário",
            complete=True,
        )
        open_attempt = attempt_start(offering=quiz_offering, learner=learner)
        extension = Extension.objects.create(offering=lab_offering, learner=learner, extra_minutes=5)
        membership = Membership.objects.get(klass=klass, user=learner)
        from lti_tool.models import LtiRegistration

        from lti.registration import registration_link_create

        platform = LtiRegistration.objects.create(
            name="LMS",
            issuer="https://lms.example.org",
            client_id="hostil",
            auth_url="https://lms.example.org/auth",
            token_url="https://lms.example.org/token",
            keyset_url="https://lms.example.org/jwks",
        )
        registration_link = registration_link_create(actor=None)
        lms_link = _lms_link(platform, lab_offering, learner)
        by_name = {
            "labs:submission": {"pk": submission.pk},
            "labs:regrade": {"pk": submission.pk},
            "quizzes:attempt": {"pk": open_attempt.pk},
            "quizzes:save-page": {"pk": open_attempt.pk},
            "quizzes:autosave": {"pk": open_attempt.pk, "question_id": essay.pk},
            "quizzes:submit": {"pk": open_attempt.pk},
            "quizzes:result": {"pk": attempt.pk},
            "quizzes:review-answer": {"pk": answer.pk},
            "lti:login": {"registration_uuid": platform.uuid},
            "lti:platform": {"registration_uuid": platform.uuid},
            "lti:platform-edit": {"registration_uuid": platform.uuid},
            "lti:platform-active": {"registration_uuid": platform.uuid},
            "lti:canvas-json": {"registration_uuid": platform.uuid},
            "lti:register": {"token": registration_link.token},
            "lti:registration-link-revoke": {"link_id": registration_link.pk},
            "lti:grade-resend": {"class_id": klass.pk, "link_id": lms_link.pk, "learner_id": learner.pk},
            "password_reset_confirm": {
                "uidb64": urlsafe_base64_encode(force_bytes(learner.pk)),
                "token": default_token_generator.make_token(learner),
            },
        }
        yield {
            "learner": learner,
            "assistant": assistant,
            "instructor": instructor,
            "klass": klass,
            "superuser": superuser,
            "lab": lab,
            "quiz": quiz,
            "by_name": by_name,
            "admin_objects": _admin_objects(),
            "ids": {
                "offering_id": lab_offering.pk,
                "membership_id": membership.pk,
                "extension_id": extension.pk,
                "registration_uuid": _lms_registration().uuid,
                "question_id": essay.pk,
            },
        }
        transaction.set_rollback(True)


def _lms_link(registration, offering, learner):
    """The class is an LMS course whose lab has a line item; the learner came through it."""
    from lti_tool.models import LtiContext, LtiDeployment, LtiResourceLink, LtiUser

    from lti.models import CourseClass, LinkedOffering

    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1", is_active=True)
    context = LtiContext.objects.create(deployment=deployment, id_on_platform="curso")
    CourseClass.objects.create(context=context, klass=offering.klass)
    LtiUser.objects.create(registration=registration, sub="aluno", auth_user=learner)
    return LinkedOffering.objects.create(
        resource_link=LtiResourceLink.objects.create(context=context, id_on_platform="link"),
        offering=offering,
        lineitem_url="https://lms.example.org/lineitems/1",
    )


def _lms_registration():
    from lti_tool.models import LtiRegistration

    return LtiRegistration.objects.create(
        name="LMS",
        issuer="https://lms.example.test",
        client_id="estaleiro",
        auth_url="https://lms.example.test/auth",
        token_url="https://lms.example.test/token",
        keyset_url="https://lms.example.test/jwks",
    )


def fill(key: str, route: str, params: list[str], world) -> dict | None:
    """Path arguments for a URL, from the world's objects; None if this test does not know them."""
    if not params:
        return {}
    if key in world["by_name"]:
        return world["by_name"][key]
    if not key.startswith(f"{ADMIN}:"):
        # The project's own URLs: a class's, its content's by slug, a join code.
        by_param = {
            "class_id": world["klass"].pk,
            "slug": (world["lab"] if key.startswith("labs:") else world["quiz"]).slug,
            "path": "app.py",
            "code": world["klass"].join_code,
            **world["ids"],
        }
        return {param: by_param[param] for param in params} if set(params) <= set(by_param) else None
    if key.startswith(f"{ADMIN}:"):
        if params == ["app_label"]:
            return {"app_label": "labs"}
        if params == ["url"]:
            return {"url": "nada/aqui/"}
        if set(params) == {"content_type_id", "object_id"}:
            from django.contrib.contenttypes.models import ContentType

            lab = world["lab"]
            return {"content_type_id": ContentType.objects.get_for_model(lab).pk, "object_id": lab.pk}
        app_label, model_name = route.split("/")[1:3]
        model_key = f"{app_label}_{model_name}"
        if model_key in world["admin_objects"] and len(params) == 1:
            obj = world["admin_objects"][model_key]  # None for a model with no row: the admin's "not found"
            return {params[0]: obj.pk if obj is not None else 1}
    return None


class KeyRecorder:
    """Records every key looked up in a QueryDict while it is installed."""

    def __init__(self, monkeypatch):
        self.keys: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__", "pop"):
            original = getattr(QueryDict, method)
            monkeypatch.setattr(QueryDict, method, self._recording(original))

    def _recording(self, original):
        def recorded(query, key, *args, **kwargs):
            if isinstance(key, str):
                self.keys.add(key)
            return original(query, key, *args, **kwargs)

        return recorded


def keys_read(client, url: str, monkeypatch) -> dict[str, list[str]]:
    """The keys the view looks up on an empty GET and on an empty POST."""
    read = {}
    for method in ("get", "post"):
        with monkeypatch.context() as patch:
            recorder = KeyRecorder(patch)
            getattr(client, method)(url, **({} if method == "get" else {"data": {}}))
        read[method] = sorted(recorder.keys - {"csrfmiddlewaretoken"})
    return read


def call(client, method: str, url: str, data, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "get":
        query = urlencode(data, doseq=True)
        return client.get(f"{url}?{query}" if query else url, headers=headers)
    return client.post(url, data, headers=headers)


def as_user(client, who: str, world, logins: dict[str, dict]):
    """`who` with a fresh session and no cookie left by the last case: what client.logout()
    and client.force_login() leave. force_login runs once per role and test; later cases get
    a new session holding what it stored (the same user, backend and password hash), made
    without the logout and login signals' writes (django-axes' access log, the last login
    time), which took half the walk's time and are nothing the walk checks."""
    client.cookies = SimpleCookie()
    if who == "anonymous":
        return
    if who not in logins:
        client.force_login(world[who])
        logins[who] = dict(client.session.items())
        return
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session.update(logins[who])
    session.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


@pytest.fixture
def quiet_outside_world(monkeypatch):
    """Nothing leaves the process: no grading task, no wait for a worker."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from core import views as core_views
    from labs import tasks

    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *a, **k: None)

    def no_worker(**kwargs):
        raise CeleryTimeout

    monkeypatch.setattr(core_views, "worker_ping", no_worker)
    # The operations page asks the broker and each worker (seconds when none answers): asked
    # once, its answer is shown again for every hostile request.
    real = core_views.services_status
    monkeypatch.setattr(
        core_views,
        "services_status",
        lambda **kwargs: _STATUS.get("status") or _STATUS.setdefault("status", real(**kwargs)),
    )


_STATUS: dict = {}


def test_every_url_is_walked(world):
    unknown = [key for key, (name, route, params) in ALL_URLS.items() if fill(key, route, params, world) is None]
    assert not unknown, f"teach fill() the path arguments of: {unknown}"


@pytest.fixture
def server_errors():
    """The exceptions behind 5xx answers, short, for the failure message (the log stays quiet)."""
    import logging

    from django.core.signals import got_request_exception

    seen = []

    def record(sender, request, **kwargs):
        import sys

        exc = sys.exc_info()[1]
        seen.append(f"{type(exc).__name__}: {str(exc)[:120]}")

    got_request_exception.connect(record)
    logger = logging.getLogger("django.request")
    level, logger.level = logger.level, logging.CRITICAL
    yield seen
    logger.level = level
    got_request_exception.disconnect(record)


# The project's pages for the site's administrator alone: walked as the superuser too.
SITE_ADMIN_URLS = {
    "lti:platforms",
    "lti:platform-add",
    "lti:platform",
    "lti:platform-edit",
    "lti:platform-active",
    "lti:registration-link-new",
    "lti:registration-link-revoke",
}


@pytest.mark.parametrize("key", sorted(ALL_URLS))
def test_hostile_values_never_answer_5xx(client, world, quiet_outside_world, server_errors, monkeypatch, key):
    name, route, params = ALL_URLS[key]
    kwargs = fill(key, route, params, world)
    assert kwargs is not None, f"teach fill() the path arguments of: {key}"
    url = build_url(name, route, kwargs)
    client.raise_request_exception = False
    is_admin = key.startswith(f"{ADMIN}:")
    # The admin sends anyone else to its login page: it is walked as the superuser.
    users: tuple[str, ...] = ("superuser",) if is_admin else ("anonymous", "learner", "assistant", "instructor")
    if key in SITE_ADMIN_URLS:
        users += ("superuser",)
    failures = []
    logins: dict[str, dict] = {}
    for who in users:
        as_user(client, who, world, logins)
        read = keys_read(client, url, monkeypatch)
        for method in ("get", "post"):
            every_key = sorted(set(read[method]) | set(ALWAYS_SENT))
            cases: list[tuple[dict[str, str | list[str]], bool]] = [
                ({k: value for k in every_key}, False) for value in HOSTILE_VALUES
            ]
            cases.append(({k: HOSTILE_VALUES for k in every_key}, False))  # every key repeated, every value
            if not is_admin:
                # htmx requests take other branches (partials, the live log's offset).
                cases += [({k: value for k in every_key}, True) for value in NUMBER_BREAKERS]
                cases += [({k: value}, method == "get") for k in read[method] for value in NUMBER_BREAKERS]
            for data, htmx in cases:
                as_user(client, who, world, logins)  # a hostile logout or lockout must not leak into the next case
                response = call(client, method, url, data, htmx)
                if response.status_code >= 500:
                    shown = {k: (v if len(str(v)) < 40 else f"{str(v)[:20]}…") for k, v in data.items()}
                    failures.append(
                        (
                            who,
                            method.upper(),
                            "htmx" if htmx else "",
                            shown,
                            response.status_code,
                            server_errors[-1] if server_errors else "",
                        )
                    )
    assert not failures, f"{url}: {len(failures)} answer(s) 5xx, the first: {failures[:3]}"
