"""A term, start to finish, in Chromium: a teacher creates a class, imports its roster (a bad row
refuses the whole file), offers the quiz and a lab, sets the lab's due date with a late
penalty, gives one learner more time on the lab and another more time on the timed quiz; the
learners see their own terms, the late one sees the penalty and the extended one does not; the
teaching assistant grades an essay but may neither release it nor open another class.

Grading itself is the sandbox's (tested in test_lab_browser.py): here the task is not run, and
a verdict is written as the worker would, to show what the late penalty does to the score."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from classes.models import Class, ClassEvent, Extension, Membership
from labs import tasks
from labs.models import Submission
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import PASSWORD, UserFactory, lab_from_content, other_class, quiz_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAB = "primeiro-conteiner"
REFERENCE = open(f"content/labs/{LAB}/reference/Dockerfile").read()

BAD_ROSTER = (
    "nome;usuario;email\n"
    "Ana Souza;ana;ana@escola.example\n"
    "Bruno Lima;bruno;bruno@escola.example\n"
    "Carla Dias;carla;nao-e-um-email\n"
).encode("cp1252")
GOOD_ROSTER = BAD_ROSTER.replace(b"nao-e-um-email", b"carla@escola.example")


def local(moment) -> str:
    """A moment as a datetime-local input takes it, in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def new_page(browser):
    page = browser.new_context(locale="pt-BR").new_page()
    page.set_default_timeout(20_000)
    return page


def open_manage(page, link: str) -> None:
    """A management page, from the class page's links."""
    page.locator(f"#manage-{link}").click()
    page.wait_for_load_state()


def test_a_class_from_creation_to_late_work(browser, live_server, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *args, **kwargs: None)
    quiz = quiz_from_content()  # the content exists (load_content); the new class offers it
    lab = lab_from_content(LAB)
    UserFactory(username="prof", first_name="Paula", instructor=True, enrol=False)
    UserFactory(username="monica", first_name="Mônica", enrol=False)
    class_b = other_class("Turma B")

    # -- the teacher creates the class -------------------------------------------------------
    page = new_page(browser)
    log_in(page, live_server, "prof", "/turmas/")
    page.locator("#id_name").fill("Containerização – noite")
    page.locator("#id_term").fill("2026.2")
    page.locator("#create-submit").click()
    page.get_by_role("heading", name="Containerização – noite").wait_for()
    klass = Class.objects.get(name="Containerização – noite")
    assert Membership.objects.get(klass=klass, user__username="prof").role == "teacher"

    # -- the roster: one bad row refuses the file, then the corrected file imports ------------
    open_manage(page, "people")
    page.locator("#roster-import-link").click()
    page.locator("#roster-file").set_input_files([{"name": "turma.csv", "mimeType": "text/csv", "buffer": BAD_ROSTER}])
    page.locator("#roster-submit").click()
    problems = page.locator("#roster-problems")
    problems.wait_for()
    assert "Nada foi importado" in problems.inner_text()
    assert "Linha 4" in problems.inner_text()
    assert not User.objects.filter(username__in=["ana", "bruno", "carla"]).exists()
    assert Membership.objects.filter(klass=klass).count() == 1  # nothing half-imported

    page.locator("#roster-file").set_input_files([{"name": "turma.csv", "mimeType": "text/csv", "buffer": GOOD_ROSTER}])
    page.locator("#roster-submit").click()
    page.locator("#roster-result").wait_for()
    links = page.locator("#roster-links a")
    assert links.count() == 3
    assert set(Membership.objects.filter(klass=klass, role="learner").values_list("user__username", flat=True)) == {
        "ana",
        "bruno",
        "carla",
    }
    # The first link is Ana's (the file's order); she sets her password through it below.
    ana_link = page.locator("#roster-links tr", has_text="ana").locator("a").get_attribute("href")

    # -- the teaching assistant, added by user name --------------------------------------------
    page.goto(f"{live_server.url}/turmas/{klass.pk}/pessoas/")
    page.locator("#member-add-form [name$=login]").fill("monica")
    page.locator("#member-add-form [name$=role]").select_option("assistant")
    page.locator("#member-add-submit").click()
    page.locator("#member-monica").wait_for()
    assert Membership.objects.get(klass=klass, user__username="monica").role == "assistant"

    # -- content: the timed quiz, and the lab due yesterday with 10 % a day --------------------
    # Adding a piece of content opens its settings; saving them goes back to the class's content.
    page.goto(f"{live_server.url}/turmas/{klass.pk}/")
    open_manage(page, "content")
    page.locator("#id_content").select_option(f"quiz:{quiz.pk}")
    page.locator("#offering-add-submit").click()
    page.locator("#id_time_limit_minutes").fill("30")
    page.locator("#offering-submit").click()
    page.locator(f"#offering-edit-{quiz.slug}").wait_for()
    quiz_offering = klass.offerings.get(quiz=quiz)
    assert quiz_offering.time_limit_minutes == 30

    page.locator("#id_content").select_option(f"lab:{lab.pk}")
    page.locator("#offering-add-submit").click()
    due = timezone.now() - timedelta(hours=20)
    page.locator("#id_due_at").fill(local(due))
    page.locator("#id_late_policy").select_option("penalty")
    page.locator("#id_late_penalty_percent").fill("10")
    page.locator("#offering-submit").click()
    page.locator(f"#offering-edit-{lab.slug}").wait_for()
    lab_offering = klass.offerings.get(lab=lab)
    assert lab_offering.due_at is not None and lab_offering.late_penalty_percent == 10

    # -- extensions: Bruno a later lab due date; Carla half as much time again on the quiz ------
    page.goto(f"{live_server.url}/turmas/{klass.pk}/")
    open_manage(page, "extensions")
    page.locator("#id_offering").select_option(str(lab_offering.pk))
    page.get_by_label("Bruno Lima (bruno)").check()
    page.locator("#id_due_at").fill(local(timezone.now() + timedelta(days=2)))
    page.locator("#id_reason").fill("atestado médico")
    page.locator("#extension-submit").click()
    page.locator("#extensions").get_by_text("bruno").first.wait_for()
    page.locator("#id_offering").select_option(str(quiz_offering.pk))
    page.get_by_label("Carla Dias (carla)").check()
    page.locator("#id_time_multiplier").fill("1.5")
    page.locator("#extension-submit").click()
    page.locator("#extensions").get_by_text("carla").first.wait_for()
    assert Extension.objects.get(offering=lab_offering, learner__username="bruno").granted_by.username == "prof"
    assert Extension.objects.get(offering=quiz_offering, learner__username="carla").time_multiplier == 1.5
    page.goto(f"{live_server.url}/turmas/{klass.pk}/")
    open_manage(page, "log")
    events = page.locator("#events").inner_text()
    assert "bruno" in events and "carla" in events  # who got what, logged
    assert ClassEvent.objects.filter(klass=klass, action="extension", actor__username="prof").count() == 2
    page.context.close()

    # -- Ana sets her password from the link, then sends the lab late --------------------------
    page = new_page(browser)
    page.goto(ana_link)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Salvar a nova senha").click()
    page.wait_for_load_state()
    log_in(page, live_server, "ana", f"/turmas/{klass.pk}/laboratorios/{LAB}/")
    deadline = page.locator(".deadline-card").inner_text()
    assert "O prazo já passou." in deadline and "10% de desconto" in deadline
    page.get_by_label("Dockerfile", exact=True).fill(REFERENCE)
    page.get_by_role("button", name="Construir e verificar").click()
    late = page.locator("#late-note")
    late.wait_for()
    assert "1 dia de atraso" in late.inner_text() and "10%" in late.inner_text()
    submission = Submission.objects.get(learner__username="ana")
    assert submission.late_penalty == pytest.approx(0.1)
    # The worker's verdict (full marks): the submission counts 90.
    Submission.objects.filter(pk=submission.pk).update(status="passed", score=100, max_score=100, counted=True)
    page.reload()
    assert "Esta entrega vale 90 / 100." in page.locator("#late-note").inner_text()
    page.context.close()

    # -- Bruno, extended, sends the same work on time ------------------------------------------
    bruno = User.objects.get(username="bruno")
    bruno.set_password(PASSWORD)
    bruno.save()
    page = new_page(browser)
    log_in(page, live_server, "bruno", f"/turmas/{klass.pk}/laboratorios/{LAB}/")
    assert "Seu prazo" in page.locator(".deadline-card").inner_text()
    assert "prorrogado para você" in page.locator(".deadline-card").inner_text()
    page.get_by_label("Dockerfile", exact=True).fill(REFERENCE)
    page.get_by_role("button", name="Construir e verificar").click()
    page.get_by_role("heading", name="Entrega #").wait_for()
    assert page.locator("#late-note").count() == 0
    assert Submission.objects.get(learner__username="bruno").late_penalty == 0
    page.context.close()

    # -- Carla sees her longer time on the quiz; her essay waits for review --------------------
    carla = User.objects.get(username="carla")
    carla.set_password(PASSWORD)
    carla.save()
    page = new_page(browser)
    log_in(page, live_server, "carla", f"/turmas/{klass.pk}/questionarios/{quiz.slug}/")
    facts = page.locator(".facts").inner_text()
    assert "45 minutos" in facts and "prorrogado para você" in facts
    page.context.close()
    attempt = attempt_start(offering=quiz_offering, learner=carla)
    assert attempt.deadline is not None and attempt.deadline - attempt.started_at == timedelta(minutes=45)
    answer_save(
        attempt=attempt,
        question=quiz.questions.get(key="q5"),
        choice_ids=[],
        text="Contêineres garantem reprodutibilidade do ambiente de ML.",
    )
    attempt_submit(attempt=attempt)

    # -- the assistant reviews the essay, cannot release, cannot open class B ------------------
    page = new_page(browser)
    log_in(page, live_server, "monica", f"/turmas/{klass.pk}/revisao/")
    page.get_by_role("heading", name="Correção das dissertativas").wait_for()
    assert page.get_by_role("button", name="Liberar as correções deste questionário").count() == 0
    page.get_by_role("link", name="Corrigir a próxima").click()
    page.get_by_role("heading", name="Rubrica").wait_for()
    assert "reprodutibilidade do ambiente" in page.locator(".essay-answer").inner_text()
    page.locator("body").click()
    for key in ("3", "2", "3", "1"):
        page.keyboard.press(key)
    page.get_by_role("button", name="Salvar", exact=True).click()
    page.get_by_text("Correção salva.").wait_for()
    review = carla.quiz_attempts.get().answers.get(question__key="q5").review
    assert review.is_complete and review.reviewer.username == "monica" and review.released_at is None

    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    release = page.request.post(
        f"{live_server.url}/turmas/{klass.pk}/revisao/liberar/",
        form={"quiz": quiz.slug, "confirm": "yes"},
        headers={"X-CSRFToken": csrf},
    )
    assert release.status == 403
    review.refresh_from_db()
    assert review.released_at is None

    response = page.goto(f"{live_server.url}/turmas/{class_b.pk}/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Página não encontrada").is_visible()
    page.context.close()
