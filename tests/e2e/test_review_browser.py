"""An instructor grades two essays with the keyboard and releases them; the learner reads it."""

import pytest

from quizzes.models import Review
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import PASSWORD, UserFactory, quiz_from_content

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, next_url):
    page.goto(f"{live_server.url}/contas/login/?next={next_url}")
    page.get_by_label("Usuário").fill(username)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def test_instructor_grades_with_the_keyboard_then_learner_sees_feedback(browser, live_server):
    quiz = quiz_from_content()
    essay = quiz.questions.get(key="q5")
    learners = []
    for name in ("carla", "davi"):
        learner = UserFactory(username=name, first_name=name.title())
        attempt = attempt_start(quiz=quiz, learner=learner)
        answer_save(attempt=attempt, question=essay, choice_ids=[], text=f"Resposta de {name}: reprodutibilidade e MLOps.")
        attempt_submit(attempt=attempt)
        learners.append((learner, attempt))
    UserFactory(username="prof", first_name="Prof", instructor=True)

    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof", "/questionarios/revisao/")
    page.get_by_role("heading", name="Correção das dissertativas").wait_for()
    page.get_by_role("link", name="Corrigir a próxima").click()

    graded = []
    for _ in range(2):
        page.get_by_role("heading", name="Rubrica").wait_for()
        graded.append(page.locator(".essay-answer").inner_text())
        page.locator("body").click()  # keyboard focus on the page, not a field
        for key in ("3", "2", "3", "1"):  # Completa, Parcial, Completa, Ausente
            page.keyboard.press(key)
        page.locator(".saved-ok").wait_for()  # autosaved as a draft
        page.get_by_role("button", name=page.locator(".snippet").first.inner_text()).click()
        page.keyboard.press("Control+Enter")  # save and grade the next one
        page.wait_for_load_state()
    page.get_by_text("Todas as respostas aqui foram corrigidas.").wait_for()
    assert sorted(g.split(":")[0] for g in graded) == ["Resposta de carla", "Resposta de davi"]
    assert [r.score for r in Review.objects.order_by("pk")] == [2.5, 2.5]

    page.get_by_label("Questionário", exact=True).select_option(quiz.slug)
    page.get_by_role("button", name="Filtrar").click()
    page.get_by_role("button", name="Liberar as correções deste questionário").click()
    page.get_by_text("2 correção(ões) liberada(s) aos aprendizes.").wait_for()
    context.close()

    learner, attempt = learners[0]
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, learner.username, f"/questionarios/tentativas/{attempt.pk}/resultado/")
    page.get_by_role("heading", name="Nota: 2,50 / 14").wait_for()
    feedback = page.locator(".review-feedback").inner_text()
    assert "Reprodutibilidade: Completa" in feedback and "Eficiência: Parcial" in feedback
    assert "Boa explicação da reprodutibilidade" in feedback
    assert page.get_by_text("Nota final: a correção da dissertativa foi liberada.").is_visible()
    context.close()
