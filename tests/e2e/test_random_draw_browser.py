"""Two learners side by side take a quiz with a random draw, each in a browser of their own:
they see different questions, and each is scored out of the same maximum."""

import pytest
from django.urls import reverse

from quizzes.bank import quiz_import
from quizzes.importers import parse_yaml
from tests.factories import UserFactory, default_class, offering_of

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def question(key: str, points: int, category: str = "") -> str:
    return (
        f"  - key: {key}\n    text: 'Pergunta {key}: qual é a certa?'\n    points: {points}\n"
        + (f"    category: {category}\n" if category else "")
        + f"    choices:\n      - {{text: 'certa {key}', correct: true}}\n      - {{text: 'errada {key}'}}\n"
    )


QUIZ = (
    "title: Redes no Docker\nslug: redes-sorteio\nquestions:\n"
    + question("fixa", 2)
    + "".join(question(f"rede-{n}", 1, "Docker/Redes") for n in "abcd")
    + "draws:\n  - category: Docker/Redes\n    count: 2\n"
)


def shown_keys(page) -> set[str]:
    texts = page.locator("fieldset.question").all_inner_texts()
    return {text.split("Pergunta ", 1)[1].split(":", 1)[0] for text in texts}


def test_two_learners_side_by_side_draw_different_questions_and_share_the_maximum(browser, live_server):
    quiz = quiz_import(data=parse_yaml(QUIZ)).quiz
    offering_of(quiz)
    url = reverse("quizzes:detail", args=[default_class().pk, quiz.slug])
    pages, contexts = {}, []
    try:
        for username in ("ana", "beto"):
            UserFactory(username=username)
            context = browser.new_context(locale="pt-BR")
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            log_in(page, live_server, username, url)
            # The quiz page counts what an attempt shows, not the pool.
            assert page.locator("dt:has-text('Questões') + dd").inner_text() == "3"
            page.get_by_role("button", name="Começar o questionário").click()
            page.locator("#progress-label").filter(has_text="0 de 3 respondidas").wait_for()
            pages[username] = page

        ana, beto = shown_keys(pages["ana"]), shown_keys(pages["beto"])
        assert "fixa" in ana and "fixa" in beto
        assert len(ana) == len(beto) == 3
        assert (ana - {"fixa"}).isdisjoint(beto - {"fixa"}), (ana, beto)

        # Ana answers all hers right; Beto only the fixed question.
        for key in sorted(ana):
            pages["ana"].get_by_label(f"certa {key}").check()
        pages["ana"].locator("#progress-label").filter(has_text="3 de 3 respondidas").wait_for()
        pages["beto"].get_by_label("certa fixa").check()
        pages["beto"].locator("#progress-label").filter(has_text="1 de 3 respondidas").wait_for()

        # A reload shows the same draw.
        pages["beto"].reload()
        assert shown_keys(pages["beto"]) == beto

        for username, score in (("ana", "4"), ("beto", "2")):
            page = pages[username]
            page.get_by_role("button", name="Revisar e enviar").click()
            page.get_by_role("button", name="Enviar minhas respostas").click()
            page.get_by_role("heading", name=f"Nota: {score} / 4").wait_for()
    finally:
        for context in contexts:
            context.close()
