"""A teacher goes from the home page to the class and finds its essay review in the class menu,
with the count awaiting it, and releases grades only after a confirmation that says what release
does and to how many learners; the keyboard alone does it. The class's assistant has the same
menu without the gradebook, grades an essay but is offered no release, and reaches nothing of
another class. Learners have no such menu."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from quizzes.models import Review
from tests.factories import enrol_in, offering_of, other_class

from .first_day import first_day
from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SITE_MENU, CLASS_MENU = "Menu do professor", "Menu da turma"


def test_teacher_finds_the_review_and_confirms_release_with_the_keyboard(browser, live_server):
    day = first_day()
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "prof")

    # The class's block on the home page: its work for a teacher, not a learner's progress.
    block = page.locator("section.class-block").filter(has_text="Turma de teste")
    assert block.get_by_role("link", name="correção das dissertativas").is_visible()
    assert block.get_by_text("não iniciado").count() == 0
    site_menu = page.get_by_role("navigation", name=SITE_MENU)
    for name in ("Minhas turmas", "Operações"):
        assert site_menu.get_by_role("link", name=name).is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Turma de teste (test)").click()  # the class, from its block on the home page

    menu = page.get_by_role("navigation", name=CLASS_MENU)
    review_link = menu.get_by_role("link", name="Correção das dissertativas")
    assert "1 a corrigir" in review_link.inner_text()  # bruno's essay
    for name in ("Entregas dos laboratórios", "Estatísticas"):
        assert menu.get_by_text(name).is_visible()
    assert menu.get_by_role("link", name="Boletim (planilha)").is_visible()
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
    assert page.get_by_text("Isto libera as dissertativas corrigidas de 1 aluno.").is_visible()
    assert page.get_by_text("As notas tornam-se finais").is_visible()
    assert not Review.objects.filter(answer=day.essay, released_at__isnull=False).exists()

    confirm = page.get_by_role("button", name="Liberar e tornar as notas finais")
    confirm.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator(".message-success").wait_for()  # back on the queue, which says so
    assert Review.objects.get(answer=day.essay).released_at is not None
    context.close()


def test_an_assistant_grades_but_neither_releases_nor_opens_another_class(browser, live_server):
    day = first_day()
    other = other_class("Turma B")
    offering_of(day.quiz, klass=other)
    enrol_in(User.objects.get(username="prof"), role="teacher", klass=other)
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "monica")

    assert page.get_by_role("navigation", name=SITE_MENU).count() == 0  # the site's menu is its teachers'
    assert page.get_by_role("link", name="Turma B (test)").count() == 0
    with page.expect_navigation():
        page.get_by_role("link", name="Turma de teste (test)").click()
    menu = page.get_by_role("navigation", name=CLASS_MENU)
    review_link = menu.get_by_role("link", name="Correção das dissertativas")
    assert "1 a corrigir" in review_link.inner_text()
    assert menu.get_by_text("Entregas dos laboratórios").is_visible()
    assert menu.get_by_role("link", name="Boletim (planilha)").count() == 0
    with page.expect_navigation():
        review_link.click()

    page.get_by_role("heading", name="Correção das dissertativas").wait_for()
    assert page.get_by_role("button", name="Liberar as correções deste questionário").count() == 0
    assert page.get_by_role("link", name="Boletim com os laboratórios (planilha)").count() == 0
    assert page.get_by_role("link", name="Notas do questionário (CSV)").count() == 0
    page.get_by_role("link", name="Corrigir a próxima").click()
    page.get_by_role("heading", name="Rubrica").wait_for()
    page.locator("body").click()  # keyboard focus on the page, not a field
    for key in ("3", "3", "3", "3"):
        page.keyboard.press(key)
    page.locator(".saved-ok").wait_for()
    page.keyboard.press("Control+Enter")  # save and grade the next one
    page.get_by_text("Todas as respostas aqui foram corrigidas.").wait_for()
    review = Review.objects.get(answer=day.essay)
    assert review.reviewer.username == "monica" and review.is_complete and review.released_at is None

    for path in (
        reverse("classes:detail", args=[other.pk]),
        reverse("quizzes:review-queue", args=[other.pk]),
        reverse("quizzes:stats", args=[other.pk, day.quiz.slug]),
    ):
        assert page.goto(live_server.url + path).status == 404, path
    context.close()


def test_learners_see_no_instructor_menu(browser, live_server):
    day = first_day()
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "ana")
    for path in (
        reverse("home"),
        reverse("classes:detail", args=[day.klass.pk]),
        reverse("quizzes:detail", args=[day.klass.pk, day.quiz.slug]),
        reverse("labs:detail", args=[day.klass.pk, day.lab.slug]),
    ):
        page.goto(live_server.url + path)
        for menu in (SITE_MENU, CLASS_MENU):
            assert page.get_by_role("navigation", name=menu).count() == 0, (path, menu)
        assert page.get_by_role("link", name="Correção das dissertativas").count() == 0
    context.close()
