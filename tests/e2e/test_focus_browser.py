"""Keyboard focus follows the links a learner uses to get back to a question."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, default_class, quiz_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_link_to_an_unanswered_question_moves_focus_to_it(page, live_server):
    quiz = quiz_from_content()
    UserFactory(username="caio", first_name="Caio")
    log_in(page, live_server, "caio", reverse("quizzes:detail", args=[default_class().pk, quiz.slug]))
    page.get_by_role("button", name="Começar o questionário").click()
    page.get_by_role("button", name="Revisar e enviar").click()

    link = page.get_by_role("link", name="Questão 10", exact=True)
    target = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_url(f"**#{target}")
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {target!r}")
    # The next Tab goes into that question, not back to the top of the page.
    page.keyboard.press("Tab")
    inside = page.evaluate(f"document.getElementById({target!r}).contains(document.activeElement)")
    assert inside
