"""A class's teacher grades two essays with the keyboard and releases them; the learner reads it."""

import pytest
from django.urls import reverse

from quizzes.models import Review
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, offering_of, quiz_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_grades_with_the_keyboard_then_learner_sees_feedback(browser, live_server):
    quiz = quiz_from_content()
    essay = quiz.questions.get(key="q5")
    learners = []
    for name in ("carla", "davi"):
        learner = UserFactory(username=name, first_name=name.title())
        attempt = attempt_start(offering=offering_of(quiz), learner=learner)
        answer_save(
            attempt=attempt, question=essay, choice_ids=[], text=f"Resposta de {name}: reprodutibilidade e MLOps."
        )
        attempt_submit(attempt=attempt)
        learners.append((learner, attempt))
    UserFactory(username="prof", first_name="Prof", instructor=True)

    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof", reverse("quizzes:review-queue", args=[default_class().pk]))
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
    page.get_by_text("Isto libera as dissertativas corrigidas de 2 alunos.").wait_for()
    page.get_by_role("button", name="Liberar e tornar as notas finais").click()
    page.get_by_text("2 correções liberadas aos alunos.").wait_for()
    context.close()

    learner, attempt = learners[0]
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, learner.username, reverse("quizzes:result", args=[attempt.pk]))
    page.get_by_role("heading", name="Nota: 2,50 / 14").wait_for()
    feedback = page.locator(".review-feedback").inner_text()
    assert "Reprodutibilidade: Completa" in feedback and "Eficiência: Parcial" in feedback
    assert "Boa explicação da reprodutibilidade" in feedback
    assert page.get_by_text("Nota final: a correção da dissertativa foi liberada.").is_visible()
    context.close()


def test_a_draft_on_a_released_review_stays_private_until_saved(browser, live_server):
    """The teacher reopens a released review and changes it: the autosaved draft says it is
    private and the learner still reads the released version; saving publishes it."""
    from quizzes.reviews import review_open, review_release, review_save

    quiz = quiz_from_content()
    essay = quiz.questions.get(key="q5")
    learner = UserFactory(username="elis", first_name="Elis")
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    answer = answer_save(attempt=attempt, question=essay, choice_ids=[], text="Reprodutibilidade e MLOps.")
    attempt_submit(attempt=attempt)
    teacher = UserFactory(username="prof2", first_name="Prof", instructor=True)
    review, _ = review_open(answer=answer, reviewer=teacher)
    complete = [c.levels.get(name="Completa").pk for c in essay.rubric.criteria.all()]
    review_save(
        review_id=review.pk,
        reviewer=teacher,
        version=review.version,
        level_ids=complete,
        adjustment=0,
        comment="versao-liberada",
        complete=True,
    )
    review_release(klass=default_class(), quiz=quiz)

    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof2", reverse("quizzes:review-answer", args=[answer.pk]))
    page.get_by_text("Liberada: o aluno vê a versão que você salvou por último (versão 1).").wait_for()
    page.get_by_label("Comentário para o aluno").fill("rascunho-privado")
    page.get_by_text("o aluno continua vendo a versão liberada até você salvar").wait_for()

    learner_page = browser.new_context(locale="pt-BR").new_page()
    learner_page.set_default_timeout(15_000)
    log_in(learner_page, live_server, "elis", reverse("quizzes:result", args=[attempt.pk]))
    learner_page.get_by_role("heading", name="Nota: 4 / 14").wait_for()
    assert "versao-liberada" in learner_page.content() and "rascunho-privado" not in learner_page.content()

    page.get_by_role("button", name="Salvar", exact=True).click()
    page.get_by_text("Correção salva.").wait_for()
    learner_page.reload()
    learner_page.get_by_text("rascunho-privado").wait_for()
    assert "versao-liberada" not in learner_page.content()
    learner_page.context.close()
    context.close()
