"""A learner takes the lesson's quiz in Chromium: autosave, reload, submit, results."""

import pytest

from tests.factories import PASSWORD, UserFactory, quiz_from_content

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_answers_reloads_submits_and_reads_explanations(page, live_server):
    quiz = quiz_from_content()
    UserFactory(username="bia", first_name="Bia")
    page.goto(f"{live_server.url}/contas/login/?next=/questionarios/{quiz.slug}/")
    page.get_by_label("Usuário").fill("bia")
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_role("button", name="Começar o questionário").click()

    # Questions 1 and 2 by clicking, each saved at once.
    for key in ("q1", "q2"):
        question = quiz.questions.get(key=key)
        fieldset = page.locator(f"#question-{question.pk}")
        fieldset.get_by_label(question.choices.get(is_correct=True).text).check()
        fieldset.locator(".saved-ok").wait_for()
    page.locator("#progress-label").filter(has_text="2 de 11 respondidas").wait_for()

    # Reload mid-way: the answers are kept.
    page.reload()
    q1 = quiz.questions.get(key="q1")
    assert page.locator(f"#question-{q1.pk}").get_by_label(q1.choices.get(is_correct=True).text).is_checked()

    q3, q4 = quiz.questions.get(key="q3"), quiz.questions.get(key="q4")
    page.locator(f"#question-{q3.pk} input[value='{q3.choices.get(key='a').pk}']").check()  # a wrong one
    page.locator(f"#question-{q3.pk} .saved-ok").wait_for()
    page.locator(f"#question-{q4.pk} input[value='{q4.choices.get(is_correct=True).pk}']").check()
    page.locator(f"#question-{q4.pk} .saved-ok").wait_for()
    essay = quiz.questions.get(key="q5")
    page.locator(f"#question-{essay.pk} textarea").fill("O contêiner garante o mesmo ambiente do treino à produção.")
    page.locator(f"#question-{essay.pk} .saved-ok").wait_for()
    run = quiz.questions.get(key="cmd-run")
    page.locator(f"#question-{run.pk} input").fill("docker run -p 5000:5000 -d --name=api-modelo-ml meu-modelo-ml:v1.0")
    page.locator(f"#question-{run.pk} .saved-ok").wait_for()

    page.get_by_role("button", name="Revisar e enviar").click()
    page.get_by_text("5 questões não estão respondidas").wait_for()
    page.get_by_role("button", name="Enviar minhas respostas").click()

    page.get_by_role("heading", name="Nota: 4 / 14").wait_for()
    assert page.get_by_text("aguardando revisão").first.is_visible()
    assert page.get_by_text("Explicação").first.is_visible()
    assert "docker start reinicia um contêiner parado" not in page.content()  # feedback only for the chosen wrong one
    assert "-it abre um terminal interativo" in page.content()

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Score: 4 / 14").wait_for()
    assert page.get_by_text("Explanation").first.is_visible()
    assert page.get_by_text("awaiting review").first.is_visible()
