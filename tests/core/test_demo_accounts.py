import pytest
from django.core.management import call_command

from core.roles import is_instructor
from core.services import demo_accounts_ensure

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_stable_across_runs_and_can_log_in(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = demo_accounts_ensure()
    second = demo_accounts_ensure()
    assert first == second
    by_role = {account.role: account for account in second}
    assert set(by_role) == {"instructor", "learner"}
    for account in second:
        assert client.login(username=account.username, password=account.password)
        client.logout()
    assert (tmp_path / "demo_accounts.json").stat().st_mode & 0o077 == 0


def test_demo_instructor_is_an_instructor_and_learner_is_not(settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    demo_accounts_ensure()
    assert is_instructor(django_user_model.objects.get(username="instrutora"))
    assert not is_instructor(django_user_model.objects.get(username="aprendiz"))


def test_demo_accounts_command_prints_credentials(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_accounts")
    out = capsys.readouterr().out
    assert "instrutora" in out and "aprendiz" in out and "password:" in out
