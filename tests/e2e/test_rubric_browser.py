"""The rubric a teacher grades with reads whole: no level description cut at a comma."""

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, offering_of, quiz_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_grading_page_shows_every_rubric_level_whole(browser, live_server):
    quiz = quiz_from_content()
    essay = quiz.questions.get(key="q5")
    learner = UserFactory(username="bia")
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    answer_save(attempt=attempt, question=essay, choice_ids=[], text="Reprodutibilidade, eficiência e MLOps.")
    attempt_submit(attempt=attempt)
    UserFactory(username="prof", instructor=True)
    rubric = yaml.safe_load((settings.CONTENT_DIR / "quizzes" / "aula-45.rubric.yaml").read_text())["q5"]
    descriptions = [level["description"] for criterion in rubric["criteria"] for level in criterion["levels"]]
    assert any("," in text for text in descriptions)  # the commas that once cut them

    page = browser.new_context(locale="pt-BR").new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof", reverse("quizzes:review-queue", args=[default_class().pk]))
    page.get_by_role("link", name="Corrigir a próxima").click()
    page.get_by_role("heading", name="Rubrica").wait_for()
    shown = " ".join(page.locator("main").inner_text().split())
    for text in descriptions:
        assert " ".join(text.split()) in shown, text
