import pytest
from django.core.management import call_command
from django.http import HttpRequest

from core.roles import is_instructor
from core.services import demo_accounts_ensure

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_stable_across_runs_and_can_log_in(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = demo_accounts_ensure()
    second = demo_accounts_ensure()
    assert first == second
    by_role = {account.role: account for account in second}
    assert {role: account.username for role, account in by_role.items()} == {
        "teacher": "instrutora",
        "assistant": "monitora",
        "learner": "aprendiz",
    }
    for account in second:
        assert client.login(request=HttpRequest(), username=account.username, password=account.password)
        client.logout()
    assert (tmp_path / "demo_accounts.json").stat().st_mode & 0o077 == 0


def test_demo_instructor_is_an_instructor_and_learner_is_not(settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    demo_accounts_ensure()
    assert is_instructor(django_user_model.objects.get(username="instrutora"))
    # The assistant's rights are the demo class's, not the site's.
    assert not is_instructor(django_user_model.objects.get(username="monitora"))
    assert not is_instructor(django_user_model.objects.get(username="aprendiz"))


def test_the_demo_people_are_in_the_demo_class_with_their_roles(settings, tmp_path):
    """One class, "Turma de demonstração", offering the loaded content, with the demo teacher,
    assistant and learner; a later start offers content loaded since without adding anyone."""
    from classes.models import Class, Membership
    from labs.models import Lab
    from tests.factories import lab_from_content

    settings.VAR_DIR = tmp_path
    lab = lab_from_content("primeiro-conteiner")
    demo_accounts_ensure()
    klass = Class.objects.get(name="Turma de demonstração")
    roles = dict(Membership.objects.filter(klass=klass).values_list("user__username", "role"))
    assert roles == {"instrutora": "teacher", "monitora": "assistant", "aprendiz": "learner"}
    assert list(klass.offerings.values_list("lab__slug", flat=True)) == [lab.slug]

    later = Lab.objects.create(slug="carregado-depois", title="Carregado depois")
    demo_accounts_ensure()
    assert Class.objects.filter(name="Turma de demonstração").count() == 1
    assert set(klass.offerings.values_list("lab__slug", flat=True)) == {lab.slug, later.slug}
    assert Membership.objects.filter(klass=klass).count() == 3


def test_demo_accounts_command_prints_credentials(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_accounts")
    out = capsys.readouterr().out
    assert "Turma de demonstração" in out
    # Each account is printed with its role in the demo class.
    for role, username in (("teacher", "instrutora"), ("teaching assistant", "monitora"), ("learner", "aprendiz")):
        [line] = [line for line in out.splitlines() if f"user: {username} " in line]
        assert line.split("user:")[0].strip() == role and "password:" in line


def test_a_later_start_leaves_what_an_admin_changed(client, settings, tmp_path, django_user_model):
    """Created once: a later start never re-enables, re-activates or resets a demo account."""
    settings.VAR_DIR = tmp_path
    accounts = {account.role: account for account in demo_accounts_ensure()}
    instructor = django_user_model.objects.get(username="instrutora")
    instructor.set_password("the-admins-choice-42")
    instructor.is_staff = False
    instructor.save()
    learner = django_user_model.objects.get(username="aprendiz")
    learner.is_active = False
    learner.save()

    again = {account.role: account for account in demo_accounts_ensure()}

    instructor.refresh_from_db()
    learner.refresh_from_db()
    assert instructor.check_password("the-admins-choice-42")
    assert not instructor.is_staff and not is_instructor(instructor)
    assert not learner.is_active
    assert not client.login(request=HttpRequest(), username="instrutora", password=accounts["teacher"].password)
    # What is printed says so rather than showing a password that no longer works.
    assert again["teacher"].password == "" and "changed" in again["teacher"].note
    assert again["learner"].password == "" and "disabled" in again["learner"].note


def test_a_deleted_demo_account_is_not_created_again(settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    demo_accounts_ensure()
    django_user_model.objects.filter(username="aprendiz").delete()
    again = {account.role: account for account in demo_accounts_ensure()}
    assert not django_user_model.objects.filter(username="aprendiz").exists()
    assert again["learner"].password == "" and "deleted" in again["learner"].note


def test_an_existing_user_with_a_demo_name_is_not_taken_over(settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    someone = django_user_model.objects.create_user(username="instrutora", password="her-own-password-1")
    demo_accounts_ensure()
    someone.refresh_from_db()
    assert someone.check_password("her-own-password-1") and not someone.is_staff


def test_the_passwords_file_is_not_replaced(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = demo_accounts_ensure()
    before = (tmp_path / "demo_accounts.json").stat()
    demo_accounts_ensure()
    after = (tmp_path / "demo_accounts.json").stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert demo_accounts_ensure() == first


def test_an_installation_from_before_classes_keeps_its_demo_accounts(settings, tmp_path, django_user_model):
    """Its passwords file names the teacher "instructor" and has no assistant: the same
    accounts are reported (no assistant is made later, as no account is)."""
    import json

    settings.VAR_DIR = tmp_path
    django_user_model.objects.create_user(username="instrutora", password="antiga-senha-1", is_staff=True)
    django_user_model.objects.create_user(username="aprendiz", password="antiga-senha-2")
    (tmp_path / "demo_accounts.json").write_text(
        json.dumps({"instructor": "antiga-senha-1", "learner": "antiga-senha-2"})
    )
    accounts = {account.role: account for account in demo_accounts_ensure()}
    assert accounts["teacher"].password == "antiga-senha-1"
    assert accounts["learner"].password == "antiga-senha-2"
    assert accounts["assistant"].password == "" and "never made" in accounts["assistant"].note
    assert not django_user_model.objects.filter(username="monitora").exists()
