"""A teacher finds the essay review from the menu, with the count awaiting it, and releases
grades only after a confirmation that says what release does and to how many learners; the
keyboard alone does it. Learners have no such menu."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from quizzes.models import Review

from .first_day import first_day, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_teacher_finds_the_review_and_confirms_release_with_the_keyboard(browser, live_server):
    day = first_day()
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof")

    menu = page.get_by_role("navigation", name="Menu do professor")
    review_link = menu.get_by_role("link", name="Correção das dissertativas")
    assert "1 a corrigir" in review_link.inner_text()  # bruno's essay
    for name in ("Entregas dos laboratórios", "Estatísticas"):
        assert menu.get_by_text(name).is_visible()
    assert menu.get_by_role("link", name="Boletim (planilha)").is_visible()
    assert menu.get_by_role("link", name="Operações").is_visible()
    review_link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("heading", name="Correção das dissertativas").wait_for()

    # bruno's essay graded (without the browser): one learner's review waits for release.
    from quizzes.reviews import review_open, review_save

    prof = User.objects.get(username="prof")
    review, _ = review_open(answer=day.essay, reviewer=prof)
    review_save(
        review_id=review.pk,
        reviewer=prof,
        version=review.version,
        level_ids=[c.levels.first().pk for c in day.essay.question.rubric.criteria.all()],
        adjustment=0,
        comment="",
        complete=True,
    )
    page.reload()
    # Offered without filtering first; the first press releases nothing.
    release = page.get_by_role("button", name="Liberar as correções deste questionário")
    release.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("heading", name="Liberar as correções?").wait_for()
    assert page.get_by_text("Isto libera as dissertativas corrigidas de 1 aprendiz.").is_visible()
    assert page.get_by_text("As notas tornam-se finais").is_visible()
    assert not Review.objects.filter(answer=day.essay, released_at__isnull=False).exists()

    confirm = page.get_by_role("button", name="Liberar e tornar as notas finais")
    confirm.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator(".message-success").wait_for()  # back on the queue, which says so
    assert Review.objects.get(answer=day.essay).released_at is not None
    context.close()


def test_learners_see_no_instructor_menu(browser, live_server):
    day = first_day()
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "ana")
    for path in (reverse("home"), reverse("quizzes:detail", args=[day.quiz.slug])):
        page.goto(live_server.url + path)
        assert page.get_by_role("navigation", name="Menu do professor").count() == 0
        assert page.get_by_role("link", name="Correção das dissertativas").count() == 0
    context.close()
