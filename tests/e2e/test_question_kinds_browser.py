"""A learner answers a short answer, a numerical question with a unit and a matching question
in Chromium with the keyboard only, reloads (the answers are kept), submits and reads the
scores, in pt-BR and then in English."""

from pathlib import Path

import pytest
from django.urls import reverse

from quizzes.bank import quiz_import
from quizzes.importers import parse_file
from tests.factories import UserFactory, default_class, offering_of

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[1] / "quizzes" / "data" / "tipos.yaml"


def saved(page):
    """Waits for the autosave the next action sends."""
    return page.expect_response(lambda response: "/respostas/" in response.url and response.status == 200)


def test_learner_answers_the_new_kinds_with_the_keyboard(page, live_server):
    quiz = quiz_import(data=parse_file(DATA)).quiz
    offering_of(quiz)
    short, number, match = (quiz.questions.get(key=k) for k in ("instrucao-porta", "tamanho-imagem", "instrucoes"))
    UserFactory(username="lia", first_name="Lia")
    log_in(page, live_server, "lia", reverse("quizzes:detail", args=[default_class().pk, quiz.slug]))
    page.get_by_role("button", name="Começar o questionário").press("Enter")

    answer = page.locator(f"#question-{short.pk}").get_by_label("Sua resposta")
    answer.focus()
    with saved(page):
        page.keyboard.type("expose")
    page.locator(f"#question-{short.pk} .saved-ok").wait_for()
    with saved(page):
        page.keyboard.press("Tab")  # to the numerical question's field
        page.keyboard.type("2048 MB")
    assert page.evaluate("document.activeElement.id") == f"q{number.pk}-input"
    assert page.get_by_text("Unidades aceitas: GB, MB.").is_visible()

    # Matching: Tab into each select (labelled by its stem) and pick with the arrow keys.
    wanted = {"WORKDIR": "define o diretório de trabalho", "COPY": "copia arquivos do contexto", "CMD": ""}
    wanted["CMD"] = "publica a porta no host"  # the distractor: this stem is wrong
    for stem in ("WORKDIR", "COPY", "CMD"):
        page.keyboard.press("Tab")
        select = page.locator(f"#question-{match.pk}").get_by_label(stem, exact=True)
        assert page.evaluate("document.activeElement.id") == select.get_attribute("id")
        options = select.locator("option").all_inner_texts()
        for _step in range(options.index(wanted[stem])):
            with saved(page):
                page.keyboard.press("ArrowDown")
        assert select.input_value() == wanted[stem]
    page.locator("#progress-label").filter(has_text="3 de 3 respondidas").wait_for()

    page.reload()
    assert page.locator(f"#q{short.pk}-input").input_value() == "expose"
    assert page.locator(f"#q{number.pk}-input").input_value() == "2048 MB"
    for stem, text in wanted.items():
        assert page.locator(f"#question-{match.pk}").get_by_label(stem, exact=True).input_value() == text

    page.get_by_role("button", name="Revisar e enviar").press("Enter")
    page.get_by_text("Todas as questões têm resposta.").wait_for()
    page.get_by_role("button", name="Enviar minhas respostas").press("Enter")
    page.get_by_role("heading", name="Nota: 6 / 7").wait_for()
    # Short answer and numerical right; matching 2 of its 3 stems: 2 of 3 points.
    for question, score in ((short, "2 / 2"), (number, "2 / 2"), (match, "2 / 3")):
        assert score in page.locator(f"#rq-{question.pk}").inner_text()
    assert page.get_by_text("Algumas certas.").is_visible()

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Score: 6 / 7").wait_for()
    assert page.get_by_text("Accepted answers").first.is_visible()
    assert page.get_by_role("columnheader", name="Right answer").is_visible()
