"""Every URL of the site, as each kind of person who may come to it: who gets what.

Two classes, A and B, offer the same quiz and lab. The people: anonymous; a learner of A; the
learner of A who owns the work the URLs name (a submission, an attempt, an essay answer); a
teaching assistant and the teacher of A; the teacher, a teaching assistant and a learner of B;
the site administrator (a superuser in no class). Nobody of B reaches anything of A (404, not
even a hint that it exists); inside A, a learner gets 403 on its staff pages and an assistant
403 on release, exports and settings; nobody but its learner answers an attempt.

A new URL fails test_every_url_is_classified until it has a row in one of the blocks below."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from classes.models import Class, Extension, Membership, Offering
from classes.services import ExtensionTerms, extensions_grant
from labs.models import Lab, Submission
from quizzes.models import Answer, Attempt, Quiz
from quizzes.reviews import review_open, review_save
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import (
    UserFactory,
    default_class,
    enrol_in,
    lab_from_content,
    offering_of,
    other_class,
    quiz_from_content,
)

pytestmark = pytest.mark.django_db

# Who comes to the URL, in the order of the rows below.
ACTORS = ("anonymous", "learner_a", "owner", "ta_a", "teacher_a", "teacher_b", "ta_b", "learner_b", "admin")
# What each one gets: OK is 200, 400 or a redirect that is not to the login page.
OK, LOGIN, DENIED, HIDDEN = "ok", "login", "403", "404"

# fmt: off
#                      anonymous learner_a owner   ta_a    teacher_a teacher_b ta_b    learner_b admin
ACCESS = {
    # anyone, logged in or not
    "public":         (OK,       OK,       OK,     OK,     OK,       OK,       OK,     OK,       OK),
    # anyone logged in (one's own classes, joining one)
    "login":          (LOGIN,    OK,       OK,     OK,     OK,       OK,       OK,     OK,       OK),
    # the site's instructors (staff in the Instructors group: the teachers here) and its administrator
    "site-staff":     (LOGIN,    DENIED,   DENIED, DENIED, OK,       OK,       DENIED, DENIED,   OK),
    # everyone in class A (Action.VIEW, TAKE)
    "class":          (LOGIN,    OK,       OK,     OK,     OK,       HIDDEN,   HIDDEN, HIDDEN,   OK),
    # A's teachers and assistants (Action.SEE_WORK, REVIEW, REGRADE)
    "class-staff":    (LOGIN,    DENIED,   DENIED, OK,     OK,       HIDDEN,   HIDDEN, HIDDEN,   OK),
    # A's teachers only (Action.RELEASE, EXPORT, MANAGE): release, exports, settings
    "class-teacher":  (LOGIN,    DENIED,   DENIED, DENIED, OK,       HIDDEN,   HIDDEN, HIDDEN,   OK),
    # the owner's work, read: the owner and A's staff
    "owner-or-staff": (LOGIN,    HIDDEN,   OK,     OK,     OK,       HIDDEN,   HIDDEN, HIDDEN,   OK),
    # the owner's open attempt, answered: the owner alone (staff read it on its results page)
    "owner":          (LOGIN,    HIDDEN,   OK,     HIDDEN, HIDDEN,   HIDDEN,   HIDDEN, HIDDEN,   HIDDEN),
    # reached only inside an LTI launch's session (the deep-linking picker): a plain visit is refused
    "lti-session":    (DENIED,   DENIED,   DENIED, DENIED, DENIED,   DENIED,   DENIED, DENIED,   DENIED),
    # the site's administrator alone (superuser): the LMSs registered for the whole site
    "site-admin":     (LOGIN,    DENIED,   DENIED, DENIED, DENIED,   DENIED,   DENIED, DENIED,   OK),
}
# fmt: on
assert all(len(row) == len(ACTORS) for row in ACCESS.values())

# url name -> (access, method). One block per app; a URL's path arguments are filled by
# path_kwargs() from its parameter names (class_id is class A), or by PATH_KWARGS below.
CORE = {
    "home": ("public", "get"),
    "healthz": ("public", "get"),
    "favicon": ("public", "get"),
    "signup": ("public", "get"),
    "operations": ("site-staff", "get"),
    "operations-ping": ("site-staff", "post"),
}
# A class's own pages. Its management (settings, people, roster, extensions, archiving) is
# "class-teacher"; a path argument path_kwargs() does not know goes in PATH_KWARGS.
CLASSES = {
    "classes:list": ("login", "get"),
    "classes:join": ("login", "get"),
    "classes:join-code": ("login", "get"),
    "classes:detail": ("class", "get"),
}
LABS = {
    "labs:detail": ("class", "get"),
    "labs:submit": ("class", "post"),
    "labs:starter-zip": ("class", "get"),
    "labs:starter-file": ("class", "get"),
    "labs:submissions": ("class-staff", "get"),
    "labs:regrade-all": ("class-staff", "post"),
    "labs:similarity": ("class-staff", "get"),
    "labs:similarity-pair": ("class-staff", "get"),
    "labs:scores-csv": ("class-teacher", "get"),
    "labs:scores-xlsx": ("class-teacher", "get"),
    "labs:submission": ("owner-or-staff", "get"),
    "labs:regrade": ("class-staff", "post"),
}
QUIZZES = {
    "quizzes:detail": ("class", "get"),
    "quizzes:begin": ("class", "post"),
    "quizzes:stats": ("class-staff", "get"),
    "quizzes:bank-xml": ("class-teacher", "get"),
    "quizzes:attempt": ("owner", "get"),
    "quizzes:save-page": ("owner", "post"),
    "quizzes:autosave": ("owner", "post"),
    "quizzes:submit": ("owner", "get"),
    "quizzes:result": ("owner-or-staff", "get"),
    "quizzes:review-queue": ("class-staff", "get"),
    "quizzes:review-next": ("class-staff", "get"),
    "quizzes:review-blind": ("class-staff", "post"),
    "quizzes:review-release": ("class-teacher", "post"),
    "quizzes:review-answer": ("class-staff", "get"),
    "quizzes:essay-similarity": ("class-staff", "get"),
    "quizzes:essay-similarity-pair": ("class-staff", "get"),
    "quizzes:gradebook-csv": ("class-teacher", "get"),
    "quizzes:gradebook-xlsx": ("class-teacher", "get"),
    "quizzes:grades-csv": ("class-teacher", "get"),
    "quizzes:grades-xlsx": ("class-teacher", "get"),
}
# A class's management pages (classes/manage_views.py): its teachers' (settings, content,
# people, roster, extensions, the log, archiving and restoring); its assistants read its people.
CLASS_MANAGEMENT = {
    "classes:create": ("site-staff", "get"),
    "classes:settings": ("class-teacher", "get"),
    "classes:new-code": ("class-teacher", "post"),
    "classes:archive": ("class-teacher", "post"),
    "classes:unarchive": ("class-teacher", "post"),
    "classes:content": ("class-teacher", "get"),
    "classes:offering-add": ("class-teacher", "post"),
    "classes:offering": ("class-teacher", "get"),
    "classes:people": ("class-staff", "get"),
    "classes:member-add": ("class-teacher", "post"),
    "classes:roster-import": ("class-teacher", "get"),
    "classes:member-role": ("class-teacher", "post"),
    "classes:member-remove": ("class-teacher", "post"),
    "classes:member-password-link": ("class-teacher", "post"),
    "classes:extensions": ("class-teacher", "get"),
    "classes:extension-revoke": ("class-teacher", "post"),
    "classes:log": ("class-teacher", "get"),
}
# LTI 1.3: the LMS's endpoints are public (a launch without a valid token is refused); the
# deep-linking picker needs a launch's session; a class that is an LMS course (class A is
# one, in the world below) has its teachers' roster sync.
LTI = {
    "lti:login": ("public", "get"),
    "lti:launch": ("public", "post"),  # 400: no token to check
    "lti:jwks": ("public", "get"),
    "lti:deep-link": ("lti-session", "get"),
    "lti:deep-link-missing": ("class-teacher", "get"),
    "lti:roster-sync": ("class-teacher", "post"),
    "lti:class-grades": ("class-teacher", "get"),
    "lti:grades-resend-failed": ("class-teacher", "post"),
    "lti:grade-resend": ("class-teacher", "post"),
    # The site administrator's platforms page. A dynamic registration link is its own
    # authorization: the LMS's administrator opens it, not logged in to Estaleiro.
    "lti:platforms": ("site-admin", "get"),
    "lti:platform-add": ("site-admin", "get"),
    "lti:platform": ("site-admin", "get"),
    "lti:platform-edit": ("site-admin", "get"),
    "lti:platform-active": ("site-admin", "post"),
    "lti:canvas-json": ("public", "get"),
    "lti:registration-link-new": ("site-admin", "post"),
    "lti:registration-link-revoke": ("site-admin", "post"),
    "lti:register": ("public", "get"),
}
MATRIX = CORE | CLASSES | CLASS_MANAGEMENT | LABS | QUIZZES | LTI

SKIPPED_NAMESPACES = {"admin"}  # Django's admin guards itself (staff only)
SKIPPED_NAMES = {
    "set_language",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}

# What only the owner (and A's staff) may read, and what only A's staff may read.
OWNERS_SECRETS = ("segredo-do-dono", "log-secreto-do-dono", "resposta-secreta-do-dono")
STAFF_SECRETS = ("comentario-nao-liberado",)
OWNER_NAME = "aprendiz-dono"


@dataclass
class World:
    people: dict[str, User]
    a: Class
    b: Class
    quiz: Quiz
    lab: Lab
    quiz_offering: Offering  # in A
    lab_offering: Offering  # in A
    submission: Submission  # the owner's, in A
    attempt: Attempt  # the owner's, submitted, with an essay reviewed but not released
    open_attempt: Attempt  # the owner's, in progress
    essay: Answer
    membership: Membership  # the owner's, in A
    extension: Extension  # the owner's, on A's lab
    b_submission: Submission  # learner B's, in B
    answer_key: list[str]
    lms_registration: Any
    lms_link: Any  # A's lab, linked to an LMS line item


def named_urls(patterns=None, namespace="", prefix=""):
    """(name, the parameters of its path) of every named URL but the skipped ones."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry.url_patterns, inner, route)
        elif isinstance(entry, URLPattern) and entry.name and f"{namespace}{entry.name}" not in SKIPPED_NAMES:
            yield f"{namespace}{entry.name}", re.findall(r"<(?:\w+:)?(\w+)>", route)


URL_PARAMS = dict(named_urls())

# Path arguments that a parameter's name does not tell (an object of the owner's, by pk).
PATH_KWARGS = {
    "labs:submission": lambda w: {"pk": w.submission.pk},
    "labs:regrade": lambda w: {"pk": w.submission.pk},
    "quizzes:attempt": lambda w: {"pk": w.open_attempt.pk},
    "quizzes:save-page": lambda w: {"pk": w.open_attempt.pk},
    "quizzes:autosave": lambda w: {"pk": w.open_attempt.pk, "question_id": w.essay.question_id},
    "quizzes:submit": lambda w: {"pk": w.open_attempt.pk},
    "quizzes:result": lambda w: {"pk": w.attempt.pk},
    "quizzes:review-answer": lambda w: {"pk": w.essay.pk},
    "lti:registration-link-revoke": lambda w: {"link_id": _registration_link().pk},
    "lti:register": lambda w: {"token": _registration_link().token},
}


def _registration_link():
    from lti.registration import registration_link_create

    return registration_link_create(actor=None)


def path_kwargs(name: str, world: World, klass: Class | None = None) -> dict | None:
    """The URL's path arguments naming class A's objects (or `klass`'s, for class_id); None
    for a parameter this test does not know yet."""
    klass = klass or world.a
    kwargs = PATH_KWARGS[name](world) if name in PATH_KWARGS else {}
    by_param = {
        "class_id": klass.pk,
        "slug": world.lab.slug if name.startswith("labs:") else world.quiz.slug,
        "path": "app.py",
        "code": klass.join_code,
        "offering_id": Offering.objects.get(klass=klass, lab=world.lab).pk,
        "membership_id": world.membership.pk,
        "extension_id": world.extension.pk,
        "user_id": world.people["owner"].pk,
        "learner_id": world.people["owner"].pk,
        "question_id": world.essay.question_id,
        "registration_uuid": world.lms_registration.uuid,
        "link_id": world.lms_link.pk,
    }
    for param in URL_PARAMS[name]:
        if param in kwargs:
            continue
        if param not in by_param:
            return None
        kwargs[param] = by_param[param]
    if "class_id" in kwargs:
        kwargs["class_id"] = klass.pk
    return kwargs


def url_of(name: str, world: World, klass: Class | None = None) -> str:
    kwargs = path_kwargs(name, world, klass)
    assert kwargs is not None, f"teach path_kwargs() the path arguments of {name}: {URL_PARAMS[name]}"
    return reverse(name, kwargs=kwargs)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Made once for the module inside a transaction rolled back at its end; each test runs
    in a savepoint of it, so what one test's requests change is undone after it."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield _world()
        transaction.set_rollback(True)


def _world() -> World:
    a, b = default_class(), other_class("Turma B")
    owner = UserFactory(username=OWNER_NAME, first_name="Odete")
    teacher_a = UserFactory(username="professora-a", instructor=True)
    people = {
        "learner_a": UserFactory(username="aprendiz-a"),
        "owner": owner,
        "ta_a": UserFactory(username="monitor-a", enrol=False),
        "teacher_a": teacher_a,
        "teacher_b": UserFactory(username="professora-b", instructor=True, enrol=False),
        "ta_b": UserFactory(username="monitor-b", enrol=False),
        "learner_b": UserFactory(username="aprendiz-b", first_name="Berenice", enrol=False),
        "admin": User.objects.create_superuser("administradora", "admin@example.org", "senha-admin-123"),
    }
    enrol_in(people["ta_a"], role="assistant", klass=a)
    enrol_in(people["teacher_b"], role="teacher", klass=b)
    enrol_in(people["ta_b"], role="assistant", klass=b)
    enrol_in(people["learner_b"], role="learner", klass=b)

    lab, quiz = lab_from_content("primeiro-conteiner"), quiz_from_content()
    lab_offering, quiz_offering = offering_of(lab), offering_of(quiz)
    b_lab_offering, b_quiz_offering = offering_of(lab, klass=b), offering_of(quiz, klass=b)
    submission = Submission.objects.create(
        learner=owner,
        lab=lab,
        offering=lab_offering,
        dockerfile="FROM python:3.11-slim\n",
        status="failed",
        report={"status": "failed", "checks": [], "rejections": [], "summary": "segredo-do-dono"},
        log="log-secreto-do-dono",
    )
    attempt = attempt_start(offering=quiz_offering, learner=owner)
    question = quiz.questions.get(key="q5")
    essay = answer_save(attempt=attempt, question=question, choice_ids=[], text="resposta-secreta-do-dono")
    attempt_submit(attempt=attempt)
    review, _ = review_open(answer=essay, reviewer=teacher_a)
    review_save(
        review_id=review.pk,
        reviewer=teacher_a,
        version=review.version,
        level_ids=[],
        adjustment=1,
        comment="comentario-nao-liberado",
        complete=True,
    )
    extensions_grant(
        offering=lab_offering,
        learners=[owner],
        terms=ExtensionTerms(due_at=timezone.now() + timedelta(days=7), reason="atestado"),
        granted_by=teacher_a,
    )
    # Class B has work of its own, which its staff do see.
    b_submission = Submission.objects.create(
        learner=people["learner_b"],
        lab=lab,
        offering=b_lab_offering,
        dockerfile="FROM python:3.11-slim\n",
        status="failed",
        report={"status": "failed", "checks": [], "rejections": [], "summary": "trabalho-de-b"},
    )
    b_attempt = attempt_start(offering=b_quiz_offering, learner=people["learner_b"])
    answer_save(attempt=b_attempt, question=question, choice_ids=[], text="resposta-de-b")
    attempt_submit(attempt=b_attempt)
    lms_registration = _lms_course(a)
    lms_link = _lms_link(lms_registration, lab_offering, owner)
    # The owner is taking a second attempt: no answer key of the first may reach them now.
    open_attempt = attempt_start(offering=quiz_offering, learner=owner)
    from tests.quizzes.test_quiz_views import secrets_of

    return World(
        people=people,
        a=a,
        b=b,
        quiz=quiz,
        lab=lab,
        quiz_offering=quiz_offering,
        lab_offering=lab_offering,
        submission=submission,
        attempt=attempt,
        open_attempt=open_attempt,
        essay=essay,
        membership=Membership.objects.get(klass=a, user=owner),
        extension=Extension.objects.get(offering=lab_offering, learner=owner),
        b_submission=b_submission,
        answer_key=secrets_of(quiz),
        lms_registration=lms_registration,
        lms_link=lms_link,
    )


def _lms_link(registration, offering: Offering, owner: User):
    """A's lab opened from an LMS resource link with a line item; the owner came through it."""
    from lti_tool.models import LtiResourceLink, LtiUser

    from lti.models import LinkedOffering

    context = registration.deployments.get().contexts.get()
    resource_link = LtiResourceLink.objects.create(context=context, id_on_platform="link-lab")
    LtiUser.objects.create(registration=registration, sub="owner-sub", auth_user=owner)
    return LinkedOffering.objects.create(
        resource_link=resource_link, offering=offering, lineitem_url="https://lms.example.test/lineitems/1"
    )


def _lms_course(klass: Class):
    """Class A is also an LMS course, with a roster service."""
    from lti_tool.models import LtiContext, LtiDeployment, LtiRegistration

    from lti.models import CourseClass

    registration = LtiRegistration.objects.create(
        name="LMS",
        issuer="https://lms.example.test",
        client_id="estaleiro",
        auth_url="https://lms.example.test/auth",
        token_url="https://lms.example.test/token",
        keyset_url="https://lms.example.test/jwks",
    )
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1", is_active=True)
    context = LtiContext.objects.create(
        deployment=deployment, id_on_platform="course-a", memberships_url="https://lms.example.test/memberships"
    )
    CourseClass.objects.create(context=context, klass=klass)
    return registration


_STATUS: dict = {}


@pytest.fixture
def quiet_outside_world(monkeypatch):
    """Nothing leaves the process: no grading task, no wait for a worker (the ping answers
    that none did), the operations page's look at the services made once for the test run."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from core import views as core_views
    from labs import tasks

    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *a, **k: None)

    def no_worker(**kwargs):
        raise CeleryTimeout

    monkeypatch.setattr(core_views, "worker_ping", no_worker)
    real = core_views.services_status
    monkeypatch.setattr(
        core_views,
        "services_status",
        lambda **kwargs: _STATUS.get("status") or _STATUS.setdefault("status", real(**kwargs)),
    )


def test_every_url_is_classified():
    names = set(URL_PARAMS)
    assert names == set(MATRIX), f"classify: {sorted(names - set(MATRIX))}; stale: {sorted(set(MATRIX) - names)}"


def test_every_url_has_its_path_arguments(world):
    unknown = {name: URL_PARAMS[name] for name in MATRIX if path_kwargs(name, world) is None}
    assert not unknown, f"teach path_kwargs() (or PATH_KWARGS) the path arguments of: {unknown}"


def outcome(response) -> str:
    if response.status_code == 302 and "/contas/login/" in response.url:
        return LOGIN
    if response.status_code in (200, 302, 400):
        return OK
    return str(response.status_code)


def may_read(actor: str, secret: str) -> bool:
    if secret in STAFF_SECRETS:
        return actor in ("ta_a", "teacher_a", "admin")
    return actor in ("owner", "ta_a", "teacher_a", "admin")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(client, world, quiet_outside_world, name):
    access, method = MATRIX[name]
    url = url_of(name, world)
    wrong = []
    for actor, expected in zip(ACTORS, ACCESS[access], strict=True):
        client.logout()
        if actor != "anonymous":
            client.force_login(world.people[actor])
        response = getattr(client, method)(url)
        got = outcome(response)
        if got != expected:
            wrong.append(f"{actor}: {expected} expected, got {got} ({response.status_code})")
        body = response.content.decode(errors="replace")
        for secret in OWNERS_SECRETS + STAFF_SECRETS:
            if secret in body and not may_read(actor, secret):
                wrong.append(f"{actor} reads {secret!r}")
        if actor in ("learner_a", "owner", "learner_b"):
            wrong += [f"{actor} reads the answer key: {s!r}" for s in world.answer_key if s in body]
    assert not wrong, f"{method.upper()} {url} ({access}):\n  " + "\n  ".join(wrong)


def test_class_staff_read_the_owners_work(client, world):
    for actor in ("ta_a", "teacher_a", "admin"):
        client.force_login(world.people[actor])
        assert "log-secreto-do-dono" in client.get(url_of("labs:submission", world)).content.decode(), actor
        review_page = client.get(url_of("quizzes:review-answer", world)).content.decode()
        assert "resposta-secreta-do-dono" in review_page and "comentario-nao-liberado" in review_page, actor
    assert Attempt.objects.filter(learner=world.people["owner"]).count() == 2


def test_assistants_neither_answer_nor_submit(client, world, quiet_outside_world):
    """An assistant reads the class's work and makes none: no attempt, no submission, and
    no form to send one."""
    assistant = world.people["ta_a"]
    client.force_login(assistant)
    assert url_of("labs:submit", world) not in client.get(url_of("labs:detail", world)).content.decode()
    client.post(url_of("quizzes:begin", world))
    client.post(url_of("labs:submit", world), {"dockerfile": 'FROM python:3.11-slim\nCMD ["python"]\n'})
    assert not Attempt.objects.filter(learner=assistant).exists()
    assert not Submission.objects.filter(learner=assistant).exists()
    # The same request by a learner does make them: the test can tell.
    client.force_login(world.people["learner_a"])
    assert url_of("labs:submit", world) in client.get(url_of("labs:detail", world)).content.decode()
    client.post(url_of("labs:submit", world), {"dockerfile": 'FROM python:3.11-slim\nCMD ["python"]\n'})
    assert Submission.objects.filter(learner=world.people["learner_a"]).exists()


CLASS_PAGES = sorted(name for name, params in URL_PARAMS.items() if "class_id" in params and MATRIX[name][1] == "get")


@pytest.mark.parametrize("actor", ["teacher_b", "ta_b"])
def test_class_b_staff_see_their_class_and_nothing_of_a(client, world, quiet_outside_world, actor):
    """The pages of class B, which offers the same quiz and lab as A, show B's work to B's
    staff and nothing of A's: no name, no work, no review of A's learners."""
    assert CLASS_PAGES, "class pages were found"
    client.force_login(world.people[actor])
    wrong, seen_b = [], False
    for name in [*CLASS_PAGES, "home", "classes:list"]:
        response = client.get(url_of(name, world, klass=world.b), follow=True)
        allowed = (200, 403) if actor == "ta_b" and MATRIX[name][0] == "class-teacher" else (200,)
        if response.status_code not in allowed:
            wrong.append(f"{name}: {response.status_code}")
        body = response.content.decode(errors="replace")
        leaked = (OWNER_NAME, "Odete", *OWNERS_SECRETS, *STAFF_SECRETS)
        wrong += [f"{name}: {text!r}" for text in leaked if text in body]
        seen_b = seen_b or "Berenice" in body
    assert not wrong, wrong
    assert seen_b, "B's staff see B's own learner (the lab's submissions, the review queue)"


LINK = re.compile(r'(?:href|action|hx-get|hx-post)="(/[^"#?]*)')


@pytest.mark.parametrize("actor", [actor for actor in ACTORS if actor != "anonymous"])
def test_pages_offer_only_what_the_reader_may_do(client, world, quiet_outside_world, actor):
    """Every link and form on a page someone may open leads to a class page they may open:
    no release button for an assistant, no staff page for a learner (a 403 behind a button)."""
    client.force_login(world.people[actor])
    column = ACTORS.index(actor)
    offered = []
    for name, (access, method) in sorted(MATRIX.items()):
        if method != "get" or ACCESS[access][column] != OK:
            continue
        response = client.get(url_of(name, world))
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for path in set(LINK.findall(response.content.decode())):
            try:
                match = resolve(path)
            except Resolver404:
                continue
            target = match.view_name
            if target not in MATRIX or match.kwargs.get("class_id") not in (None, world.a.pk):
                continue
            target_access = MATRIX[target][0]
            if "class_id" in match.kwargs or target_access == "site-staff":
                if ACCESS[target_access][column] in (DENIED, HIDDEN):
                    offered.append(f"{name} offers {target} ({path})")
    assert not offered, offered
