"""A teacher in Chromium goes from a lab's submissions to its similar work, opens the most
alike pair side by side, and switches between the compared and the sent texts; a script in a
learner's Dockerfile is shown, never run; on a phone the page does not scroll sideways."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, default_class, lab_from_content, offering_of
from tests.labs.test_lab_similarity import LAB, OWN_TOUCHES, PLANTED, PLANTED_COPY, RECIPE, submit

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_teacher_opens_similar_work_and_a_pair_side_by_side(browser, live_server):
    offering = offering_of(lab_from_content(LAB))
    for index, touch in enumerate(OWN_TOUCHES[:4]):
        submit(UserFactory(username=f"aprendiz{index}", first_name=f"Aprendiz {index}"), offering, RECIPE + touch)
    hostile = "# <script>window.__ran = true; alert('x')</script>\n" + PLANTED
    submit(UserFactory(username="bia", first_name="Bia"), offering, hostile)
    submit(UserFactory(username="caio", first_name="Caio"), offering, PLANTED_COPY)
    UserFactory(username="prof", first_name="Prof", instructor=True)

    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    log_in(page, live_server, "prof", reverse("labs:submissions", args=[default_class().pk, LAB]))
    page.get_by_role("link", name="Trabalhos parecidos").click()
    page.get_by_role("heading", name="Trabalhos parecidos", exact=False).first.wait_for()
    assert page.get_by_role("note").inner_text().startswith("Um indício, não uma prova.")
    first_row = page.locator("table tbody tr").first
    assert first_row.locator("td").first.inner_text() == "100%"
    assert "Bia" in first_row.inner_text() and "Caio" in first_row.inner_text()

    first_row.get_by_role("link", name="Lado a lado").click()
    page.get_by_role("heading", name="Lado a lado · 100%").wait_for()
    assert page.locator("tr.compare-diff").count() == 0  # as compared, the two are the same
    page.get_by_role("link", name="Mostrar como enviado").click()
    page.get_by_role("link", name="Mostrar como comparado").wait_for()
    assert page.locator("tr.compare-diff").count() > 0
    assert page.get_by_text("<script>window.__ran = true; alert('x')</script>", exact=False).count() == 1
    assert page.evaluate("window.__ran === undefined") and not dialogs

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
