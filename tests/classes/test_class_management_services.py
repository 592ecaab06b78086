"""The services behind the class management pages: a roster imports all its rows or none,
extensions go to a group at once, an archived class is read-only, a class keeps a teacher."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from classes.models import Class, ClassEvent, Extension, Membership, Role
from classes.permissions import Action, can, can_unarchive, forget_roles
from classes.roster_import import ROSTER_INVITATIONS_TASK, RosterRejected, roster_import
from classes.services import (
    ClassError,
    ExtensionTerms,
    class_archive,
    class_create,
    class_new_code,
    extension_revoke,
    extensions_grant,
    member_add,
    membership_remove,
    membership_role_change,
    offering_settings_save,
)
from config.celery import app as celery_app
from tests.factories import UserFactory, default_class, enrol_in, lab_from_content, offering_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (the pages' Portuguese is checked by the view tests)."""
    with translation.override("en"):
        yield


def csv_bytes(*rows: str, header: str = "nome;usuario;email") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_roster_with_bad_rows_imports_nothing_and_reports_every_one(instructor):
    klass = default_class()
    UserFactory(username="taken", email="dono@escola.example", enrol=False)
    UserFactory(username="twin1", email="gemeo@escola.example", enrol=False)
    UserFactory(username="twin2", email="gemeo@escola.example", enrol=False)
    users_before, members_before = User.objects.count(), Membership.objects.count()
    data = csv_bytes(
        "Ana Nova;ana.nova;ana@escola.example",  # 2: fine on its own
        ";sem.nome;semnome@escola.example",  # 3: no name
        "Outro;taken;outro@escola.example",  # 4: user name of an account with another e-mail
        "Gêmeo;;gemeo@escola.example",  # 5: two accounts have this e-mail
        "Eco;ana.nova;eco@escola.example",  # 6: same user name as line 2
        "Zeca;zeca;zeca@",  # 7: bad e-mail
    )
    with pytest.raises(RosterRejected) as rejected:
        roster_import(klass=klass, data=data, actor=instructor)
    problems = {p.line: p.message for p in rejected.value.problems}
    # Every bad row in one answer: the file's own problems and those the accounts show.
    assert set(problems) == {3, 4, 5, 6, 7}, problems
    assert "name is missing" in problems[3]
    assert "another e-mail" in problems[4]
    assert "2 accounts" in problems[5]
    assert "line 2" in problems[6]
    assert "zeca@" in problems[7]
    assert User.objects.count() == users_before and Membership.objects.count() == members_before
    assert not ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.ROSTER).exists()

    data = csv_bytes(
        "Ana Nova;ana.nova;ana@escola.example",
        "Beto Novo;beto;dono@escola.example",  # e-mail of another account
        "Carla Nova;carla;carla@escola.example",
    )
    with pytest.raises(RosterRejected) as rejected:
        roster_import(klass=klass, data=data, actor=instructor)
    assert [(p.line, "taken" in p.message) for p in rejected.value.problems] == [(3, True)]
    assert not User.objects.filter(username__in=["ana.nova", "carla"]).exists()
    assert User.objects.count() == users_before and Membership.objects.count() == members_before


def test_a_good_roster_enrols_existing_accounts_and_makes_the_new_ones(instructor, learner):
    klass = default_class()
    existing = UserFactory(username="carla", email="carla@escola.example", enrol=False)
    by_email = UserFactory(username="dani2020", email="Dani@Escola.example", enrol=False)
    data = csv_bytes(
        "Ana Nova;ana.nova;ana@escola.example",
        "Carla;Carla;",  # existing, by user name (case aside)
        "Daniela;;dani@escola.example",  # existing, by e-mail
        "Eduardo;;edu@escola.example",  # new, named by the e-mail
        f"Aprendiz;{learner.username};",  # in the class already
        f"Professora;{instructor.username};",  # the teacher stays teacher
    )
    result = roster_import(klass=klass, data=data, actor=instructor)
    assert sorted(u.username for u in result.created) == ["ana.nova", "edu@escola.example"]
    assert sorted(u.username for u in result.enrolled) == ["carla", "dani2020"]
    assert sorted(u.username for u in result.already) == [instructor.username, learner.username]
    ana = User.objects.get(username="ana.nova")
    assert ana.first_name == "Ana Nova" and ana.email == "ana@escola.example"
    assert not ana.has_usable_password()
    for user in (ana, existing, by_email):
        assert Membership.objects.get(klass=klass, user=user).role == Role.LEARNER
    assert Membership.objects.get(klass=klass, user=instructor).role == Role.TEACHER
    event = ClassEvent.objects.get(klass=klass, action=ClassEvent.Action.ROSTER)
    assert event.actor == instructor and event.detail["rows"] == 6
    assert sorted(event.detail["created"]) == ["ana.nova", "edu@escola.example"]


def test_new_accounts_are_mailed_a_working_set_password_link(
    instructor, monkeypatch, django_capture_on_commit_callbacks
):
    task = celery_app.tasks[ROSTER_INVITATIONS_TASK]
    monkeypatch.setattr(task, "apply_async", lambda args: task.run(*args))
    klass = default_class()
    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(
            klass=klass,
            data=csv_bytes("Ana Nova;ana.nova;ana@escola.example", "Sem Email;sem.email;"),
            actor=instructor,
            base_url="http://testserver/",
        )
    assert result.emailed == 1
    assert [m.to for m in mail.outbox] == [["ana@escola.example"]]
    body = mail.outbox[0].body
    assert "ana.nova" in body and klass.name in mail.outbox[0].subject
    link = next(word for word in body.split() if word.startswith("http://testserver/"))
    browser = Client()
    form_page = browser.get(link.removeprefix("http://testserver"), follow=True)
    assert form_page.status_code == 200
    browser.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Nova-senha-1234", "new_password2": "Nova-senha-1234"}
    )
    assert User.objects.get(username="ana.nova").check_password("Nova-senha-1234")


def test_an_extension_goes_to_a_group_at_once_and_only_to_its_learners(instructor):
    klass = default_class()
    group = [UserFactory(username=f"grupo{i}") for i in range(3)]
    outsider = UserFactory(username="de-fora", enrol=False)
    offering = offering_of(lab_from_content("primeiro-conteiner"))
    with pytest.raises(ClassError):  # an extension that gives nothing
        extensions_grant(offering=offering, learners=group, terms=ExtensionTerms(reason="laudo"), granted_by=instructor)
    due = timezone.now() + timedelta(days=7)
    terms = ExtensionTerms(due_at=due, reason="laudo")
    count = extensions_grant(
        offering=offering, learners=[*group, outsider, instructor], terms=terms, granted_by=instructor
    )
    assert count == 3
    extensions = Extension.objects.filter(offering=offering)
    assert sorted(e.learner.username for e in extensions) == ["grupo0", "grupo1", "grupo2"]
    assert all(e.due_at == due and e.granted_by == instructor and e.reason == "laudo" for e in extensions)
    event = ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.EXTENSION).latest("id")
    assert event.detail["learners"] == ["grupo0", "grupo1", "grupo2"]
    extension_revoke(extension=extensions.get(learner=group[0]), actor=instructor)
    assert sorted(e.learner.username for e in Extension.objects.filter(offering=offering)) == ["grupo1", "grupo2"]
    assert ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.EXTENSION_REVOKED).count() == 1


def test_an_archived_class_is_read_only_until_restored(instructor, learner):
    klass = default_class()
    offering = offering_of(lab_from_content("primeiro-conteiner"))
    class_archive(klass=klass, actor=instructor)
    klass.refresh_from_db()
    forget_roles(instructor)
    assert not can(instructor, klass, Action.MANAGE) and can(instructor, klass, Action.EXPORT)
    assert can_unarchive(instructor, klass) and not can_unarchive(learner, klass)
    membership = Membership.objects.get(klass=klass, user=learner)
    attempts = [
        lambda: roster_import(klass=klass, data=csv_bytes("Ana;ana;"), actor=instructor),
        lambda: member_add(
            klass=klass, login=UserFactory(username="novo", enrol=False).username, role=Role.LEARNER, actor=instructor
        ),
        lambda: membership_role_change(membership=membership, role=Role.ASSISTANT, actor=instructor),
        lambda: membership_remove(membership=membership, actor=instructor),
        lambda: class_new_code(klass=klass, actor=instructor),
        lambda: offering_settings_save(offering=offering, actor=instructor, changed=["due_at"]),
        lambda: extensions_grant(
            offering=offering, learners=[learner], terms=ExtensionTerms(extra_attempts=1), granted_by=instructor
        ),
    ]
    code = klass.join_code
    for attempt in attempts:
        with pytest.raises(ClassError, match="archived"):
            attempt()
    assert Membership.objects.get(pk=membership.pk).role == Role.LEARNER
    assert Class.objects.get(pk=klass.pk).join_code == code
    assert not User.objects.filter(username="ana").exists()

    class_archive(klass=klass, actor=instructor, archived=False)
    klass.refresh_from_db()
    forget_roles(instructor)
    assert can(instructor, klass, Action.MANAGE)
    assert list(ClassEvent.objects.filter(klass=klass).values_list("action", flat=True)[:2]) == [
        ClassEvent.Action.UNARCHIVED,
        ClassEvent.Action.ARCHIVED,
    ]


def test_a_class_keeps_one_teacher(instructor):
    klass = class_create(name="Turma B", term="2026.1", creator=instructor)
    own = Membership.objects.get(klass=klass, user=instructor)
    with pytest.raises(ClassError, match="teacher"):
        membership_role_change(membership=own, role=Role.LEARNER, actor=instructor)
    with pytest.raises(ClassError, match="teacher"):
        membership_remove(membership=own, actor=instructor)
    second = UserFactory(username="segunda", enrol=False)
    member_add(klass=klass, login="segunda", role=Role.TEACHER, actor=instructor)
    membership_role_change(membership=own, role=Role.ASSISTANT, actor=instructor)
    assert Membership.objects.get(klass=klass, user=instructor).role == Role.ASSISTANT
    assert Membership.objects.get(klass=klass, user=second).role == Role.TEACHER


def test_member_add_finds_an_account_by_user_name_or_unique_e_mail(instructor):
    klass = default_class()
    enrol_in(instructor)
    UserFactory(username="Maria", email="maria@escola.example", enrol=False)
    UserFactory(username="a1", email="dup@escola.example", enrol=False)
    UserFactory(username="a2", email="DUP@escola.example", enrol=False)
    assert member_add(klass=klass, login="maria@ESCOLA.example", role=Role.ASSISTANT, actor=instructor).role == (
        Role.ASSISTANT
    )
    with pytest.raises(ClassError, match="already"):
        member_add(klass=klass, login="maria", role=Role.ASSISTANT, actor=instructor)
    with pytest.raises(ClassError, match="More than one"):
        member_add(klass=klass, login="dup@escola.example", role=Role.LEARNER, actor=instructor)
    with pytest.raises(ClassError, match="No account"):
        member_add(klass=klass, login="ninguem", role=Role.LEARNER, actor=instructor)
