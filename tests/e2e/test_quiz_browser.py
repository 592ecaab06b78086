"""A learner takes the lesson's quiz in Chromium: autosave, reload, submit, results."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, default_class, offering_of, quiz_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def quiz_page(quiz) -> str:
    return reverse("quizzes:detail", args=[default_class().pk, quiz.slug])


def test_learner_answers_reloads_submits_and_reads_explanations(page, live_server):
    quiz = quiz_from_content()
    UserFactory(username="bia", first_name="Bia")
    log_in(page, live_server, "bia", quiz_page(quiz))
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


def test_learner_takes_a_paged_timed_quiz_in_english_with_the_keyboard(browser, live_server):
    """A browser that asks for English gets the whole flow in English (the lesson's own text
    stays Portuguese), one question per page, a timer, answers chosen and pages turned with
    the keyboard only, and the command's feedback naming the missing flag in English."""
    quiz = quiz_from_content(one_per_page=True, time_limit_minutes=30)
    UserFactory(username="sam", first_name="Sam")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/contas/login/?next={quiz_page(quiz)}")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_label("Username").fill("sam")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.get_by_role("button", name="Start the quiz").press("Enter")

        total = quiz.questions.count()
        page.get_by_text("Question 1", exact=True).wait_for()
        assert page.locator("fieldset.question").count() == 1
        assert page.get_by_role("timer").inner_text().startswith("Time left: ")
        # The keyboard picks the right choice: Space on the first, arrows to the correct one.
        q1 = quiz.questions.get(key="q1")
        radios = page.locator(f"#question-{q1.pk} input[type=radio]")
        order = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        radios.first.focus()
        page.keyboard.press("Space")
        for _ in range(order.index(str(q1.choices.get(is_correct=True).pk))):
            page.keyboard.press("ArrowDown")
        page.locator(f"#question-{q1.pk} .saved-ok").wait_for()
        page.locator("#progress-label").filter(has_text=f"1 of {total} answered").wait_for()
        page.get_by_role("button", name="Next ›").press("Enter")
        page.get_by_text("Question 2", exact=True).wait_for()

        # The submit step lists what is missing and links to each question's page.
        page.get_by_role("button", name="Review and submit").press("Enter")
        page.get_by_text(f"{total - 1} questions are not answered:").wait_for()
        run = quiz.questions.get(key="cmd-run")
        number = list(quiz.questions.order_by("position").values_list("pk", flat=True)).index(run.pk) + 1
        page.get_by_role("link", name=f"Question {number}", exact=True).press("Enter")
        field = page.locator(f"#question-{run.pk} input")
        field.focus()
        page.keyboard.type("docker run -d --name api-modelo-ml meu-modelo-ml:v1.0")
        page.locator(f"#question-{run.pk} .saved-ok").wait_for()
        page.get_by_role("button", name="Review and submit").press("Enter")
        page.get_by_text(f"{total - 2} questions are not answered:").wait_for()
        page.get_by_role("button", name="Submit my answers").press("Enter")

        page.get_by_role("heading", name="Score: 1 / 14").wait_for()
        feedback = page.locator(f'article[aria-labelledby="rq-{run.pk}"] .command-feedback')
        assert "Option -p (--publish) with the value 5000:5000 is missing" in feedback.inner_text()
        assert page.get_by_text("Not answered.").first.is_visible()
        assert "Nota:" not in page.content() and "Explicação" not in page.content()
    finally:
        context.close()


def test_hidden_marks_then_the_quiz_closes_under_the_learner(page, live_server):
    """Marks held back until the close: the learner's first attempt shows no score anywhere.
    Then, mid-way through a second attempt, the teacher moves the class's close date to the past:
    the next click is refused, the attempt is finished with what was saved, the learner reads
    why, and now that the quiz is closed the marks are shown."""
    from datetime import timedelta

    from django.utils import timezone

    from quizzes.models import Attempt

    quiz = quiz_from_content(closes_at=timezone.now() + timedelta(days=1), marks_immediately=False, marks_open=False)
    UserFactory(username="eva", first_name="Eva")
    log_in(page, live_server, "eva", quiz_page(quiz))
    page.get_by_role("button", name="Começar o questionário").click()

    q1, q2 = quiz.questions.get(key="q1"), quiz.questions.get(key="q2")
    page.locator(f"#question-{q1.pk}").get_by_label(q1.choices.get(is_correct=True).text).check()
    page.locator(f"#question-{q1.pk} .saved-ok").wait_for()
    page.get_by_role("button", name="Revisar e enviar").click()
    page.get_by_role("button", name="Enviar minhas respostas").click()
    page.get_by_role("heading", name="Notas ocultas por enquanto").wait_for()
    assert "Nota:" not in page.content()
    assert page.get_by_text("A nota e a pontuação de cada questão estão ocultas por enquanto").is_visible()
    page.get_by_role("link", name="Voltar ao questionário").click()
    assert page.locator("table").get_by_text("oculta por enquanto").is_visible()
    assert "Nota no questionário" not in page.content()

    page.get_by_role("button", name="Começar nova tentativa").click()
    page.locator(f"#question-{q1.pk}").get_by_label(q1.choices.get(is_correct=True).text).check()
    page.locator(f"#question-{q1.pk} .saved-ok").wait_for()
    offering_of(quiz, closes_at=timezone.now() - timedelta(seconds=1))  # the teacher, in the class's settings

    page.locator(f"#question-{q2.pk}").get_by_label(q2.choices.get(is_correct=True).text).check()
    page.get_by_text(
        "O questionário fechou; sua tentativa foi enviada com as respostas salvas antes do fechamento."
    ).wait_for()
    assert page.get_by_text("Enviada automaticamente quando o questionário fechou.").is_visible()
    page.get_by_role("heading", name="Nota: 1 / 14").wait_for()  # closed: marks_closed shows them
    second = Attempt.objects.get(learner__username="eva", number=2)
    assert second.status == Attempt.Status.SUBMITTED and not second.answers.filter(question=q2).exists()

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Score: 1 / 14").wait_for()
    assert page.get_by_text("Submitted automatically when the quiz closed.").is_visible()
