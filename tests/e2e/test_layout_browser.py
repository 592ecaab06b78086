"""Layout at a phone's width (390 px) and a laptop's (1280 px): no page scrolls sideways, and
the lab's instructions never run under its submit card."""

import pytest
from django.urls import reverse

from .first_day import first_day
from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def page_for(browser, live_server, username, viewport, locale="pt-BR"):
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username)
    return context, page


def sideways_overflow(page) -> str:
    """'' if the page does not scroll sideways; else how wide it is and what sticks out."""
    return page.evaluate(
        """() => {
          const width = window.innerWidth, doc = document.documentElement;
          if (doc.scrollWidth <= width) return "";
          const wide = [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
          return `scrollWidth ${doc.scrollWidth} > ${width}: ${wide.join(", ")}`;
        }"""
    )


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
def test_no_page_scrolls_sideways_at_390_px(browser, live_server, locale):
    day = first_day()
    k = day.klass.pk
    pages = {
        "ana": [
            reverse("home"),
            reverse("classes:list"),
            reverse("classes:detail", args=[k]),
            reverse("labs:detail", args=[k, day.lab.slug]),
            reverse("labs:submission", args=[day.submission.pk]),
            reverse("quizzes:detail", args=[k, day.quiz.slug]),
            reverse("quizzes:result", args=[day.released_attempt.pk]),
        ],
        "prof": [
            reverse("home"),
            reverse("classes:detail", args=[k]),
            reverse("labs:submissions", args=[k, day.lab.slug]),
            reverse("labs:submission", args=[day.submission.pk]),
            reverse("quizzes:review-queue", args=[k]),
            reverse("quizzes:review-answer", args=[day.essay.pk]),
            reverse("quizzes:stats", args=[k, day.quiz.slug]),
        ],
    }
    problems = []
    for username, paths in pages.items():
        context, page = page_for(browser, live_server, username, PHONE, locale)
        for path in paths:
            page.goto(live_server.url + path)
            if found := sideways_overflow(page):
                problems.append(f"{username} {path}: {found}")
        context.close()
    assert not problems, "\n".join(problems)


def test_the_verdict_table_is_not_squeezed_at_390_px(browser, live_server):
    day = first_day()
    context, page = page_for(browser, live_server, "ana", PHONE)
    page.goto(live_server.url + reverse("labs:submission", args=[day.submission.pk]))
    main_width = page.locator("main").bounding_box()["width"]
    for table in page.locator("main table").all():
        box = table.bounding_box()
        # The table uses the column it is in (it may scroll inside it), not a sliver of it.
        assert box["width"] >= main_width * 0.8, (box, main_width)
    # What each check found reads at (nearly) the full width, not in a third of it.
    found = page.locator("tr[data-check='usuario-nao-root'] .check-message").bounding_box()
    assert found["width"] >= main_width * 0.8, (found, main_width)
    context.close()


def test_the_lab_instructions_stay_beside_the_submit_card_at_1280_px(browser, live_server):
    day = first_day()
    context, page = page_for(browser, live_server, "ana", LAPTOP)
    page.goto(live_server.url + reverse("labs:detail", args=[day.klass.pk, day.lab.slug]))
    assert not sideways_overflow(page)
    submit_card = page.locator("section[aria-labelledby='submit-title']").bounding_box()
    instructions = page.locator("section[aria-labelledby='instructions-title']")
    left = instructions.bounding_box()
    assert left["x"] + left["width"] <= submit_card["x"], (left, submit_card)
    # Nothing inside the instructions (the curl block above all) reaches into the submit card.
    rights = instructions.evaluate("(s) => [...s.querySelectorAll('*')].map((el) => el.getBoundingClientRect().right)")
    assert max(rights) <= submit_card["x"], (max(rights), submit_card)
    context.close()
