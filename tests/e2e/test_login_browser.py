import pytest

from core.services import demo_accounts_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_learner_logs_in_and_switches_to_english(page, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    learner = next(a for a in demo_accounts_ensure() if a.role == "learner")

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    page.get_by_role("link", name="Entrar").first.click()
    page.get_by_label("Usuário").fill(learner.username)
    page.get_by_label("Senha").fill(learner.password)
    page.get_by_role("button", name="Entrar").click()

    page.get_by_role("heading", name="Autoavaliação").wait_for()
    assert page.get_by_text("Aprendiz").first.is_visible()
    assert page.get_by_role("button", name="Sair").is_visible()

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Self-assessment").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"


def test_wrong_password_shows_a_clear_message(page, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo_accounts_ensure()
    page.goto(live_server.url + "/contas/login/")
    page.get_by_label("Usuário").fill("aprendiz")
    page.get_by_label("Senha").fill("errada")
    page.get_by_role("button", name="Entrar").click()
    page.get_by_role("alert").first.wait_for()
    assert "usuário e senha corretos" in page.get_by_role("alert").first.inner_text()
