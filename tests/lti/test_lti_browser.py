"""Estaleiro inside an LMS, in Chromium: the test platform (tests/lti/platform/, its own
process on 127.0.0.1) frames the tool (the live server on localhost), so the tool is a third
party in the LMS's page as it is in production.

A teacher adds a lab through deep linking; a learner opens it in the LMS's iframe and in a new
tab, lands in the class made for the course, passes the lab in the real sandbox, and the grade
reaches the LMS's gradebook once, under the learner's LMS id. The teacher's roster sync then
brings in a learner who never launched."""

import contextlib
import re
import time

import pytest
from django.conf import settings
from django.urls import reverse

from classes.models import Class, Membership, Role
from labs.models import Submission
from lti.models import CourseClass, ScoreSend
from tests.factories import lab_from_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.docker,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

LAB_SLUG = "primeiro-conteiner"
LAB_TITLE = "Seu primeiro contêiner"
LAB_DIR = f"content/labs/{LAB_SLUG}"
REFERENCE = open(f"{LAB_DIR}/reference/Dockerfile").read()
DOCKERIGNORE = open(f"{LAB_DIR}/reference/.dockerignore", "rb").read()
COURSE_TITLE = "Containerização com Docker — Turma A"


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """The live server finds static files through the finders (see tests/e2e/conftest.py)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@contextlib.contextmanager
def screenshots_on_failure(name: str, pages: list):
    """On a failure, a full-page screenshot of every page still open, in var/."""
    try:
        yield
    except BaseException:
        for index, page in enumerate(pages):
            with contextlib.suppress(Exception):
                if not page.is_closed():
                    page.screenshot(path=str(settings.VAR_DIR / f"{name}-{index}.png"), full_page=True)
        raise


def watch_until_verdict(frame, seconds: float = 180) -> str:
    deadline = time.monotonic() + seconds
    verdict = frame.locator(".verdict")
    while time.monotonic() < deadline:
        if verdict.count():
            return verdict.inner_text()
        time.sleep(0.25)
    pytest.fail(f"no verdict after {seconds} s")


def test_lab_added_from_the_lms_graded_in_its_iframe_and_the_grade_sent_back(
    browser, page, live_server, lti_platform, redis_url, sandbox_docker, celery_worker_process
):
    platform = lti_platform
    lab_from_content(LAB_SLUG)
    learner_context = browser.new_context(locale="pt-BR")
    learner_page = learner_context.new_page()
    learner_page.set_default_timeout(15_000)
    pages = [page, learner_page]
    try:
        with screenshots_on_failure("lti-browser", pages):
            # The teacher, signed in on the LMS, adds an activity: the tool's picker opens in the
            # course page's iframe, and the lab picked comes back as a resource link with a grade
            # column (deep linking).
            page.goto(platform.login_url("prof"))
            page.get_by_role("heading", name=COURSE_TITLE).wait_for()
            page.get_by_role("button", name="Add activity").click()
            tool = page.frame_locator("#tool-frame")
            tool.get_by_label(re.compile(LAB_TITLE)).check()
            tool.locator("form:has(input[name=item]) button[type=submit]").click()
            activity = page.locator("tr.activity", has_text=LAB_TITLE)
            activity.wait_for()
            assert activity.locator(".score-maximum").inner_text() == "100"
            [link] = platform.resource_links()
            [item] = platform.lineitems()
            assert link["custom"] == {"estaleiro_item": f"lab:{LAB_SLUG}"}
            assert link["url"] == f"{live_server.url}/lti/launch/"
            assert item["scoreMaximum"] == 100 and item["resourceLinkId"] == link["id"]

            klass = Class.objects.get(name=COURSE_TITLE)
            assert CourseClass.objects.filter(klass=klass, context__id_on_platform="docker-101").exists()

            # The learner, in a browser of her own, opens it inside the LMS's page…
            learner_page.goto(platform.login_url("ana"))
            learner_page.get_by_role("link", name=f"Open {LAB_TITLE}", exact=True).click()
            framed = learner_page.frame_locator("#tool-frame")
            framed.get_by_role("heading", name=LAB_TITLE).wait_for()
            lab_path = f"/turmas/{klass.pk}/"
            assert any(frame.url.startswith(live_server.url + lab_path) for frame in learner_page.frames), [
                frame.url for frame in learner_page.frames
            ]

            # …and once in a new tab, which lands on the same lab of the same class.
            with learner_context.expect_page() as opened:
                learner_page.get_by_role("link", name=f"Open {LAB_TITLE} in a new tab").click()
            tab = opened.value
            pages.append(tab)
            tab.get_by_role("heading", name=LAB_TITLE).wait_for()
            assert tab.url.startswith(live_server.url + lab_path), tab.url
            tab.close()

            ana = Membership.objects.get(klass=klass, user__lti_users__sub=platform.sub("ana"))
            assert ana.role == Role.LEARNER

            # She passes the lab in the frame: the real worker builds and checks it in the sandbox.
            framed.get_by_label("Dockerfile", exact=True).fill(REFERENCE)
            framed.get_by_label("Arquivos extras (opcional)").set_input_files(
                [{"name": ".dockerignore", "mimeType": "text/plain", "buffer": DOCKERIGNORE}]
            )
            framed.get_by_role("button", name="Construir e verificar").click()
            framed.get_by_role("heading", name="Entrega #").wait_for()
            verdict = watch_until_verdict(framed)
            assert "Aprovado" in verdict and "100 / 100" in verdict
            assert Submission.objects.get().status == "passed"

            # The grade reaches the LMS, under her LMS id, once.
            [score] = platform.wait_for_scores(1, timeout=90)
            assert score["userId"] == platform.sub("ana") and score["username"] == "ana"
            assert score["line_item"] == item["id"]
            assert (score["scoreGiven"], score["scoreMaximum"]) == (100, 100)
            assert score["gradingProgress"] == "FullyGraded"
            assert score["activityProgress"] in {"Completed", "Submitted"}
            assert score["content_type"] == "application/vnd.ims.lis.v1.score+json"
            # Once: the tool has nothing more to send, and the LMS got nothing more.
            deadline = time.monotonic() + 30
            while ScoreSend.objects.exclude(state=ScoreSend.State.SENT).exists() and time.monotonic() < deadline:
                time.sleep(0.25)
            assert list(ScoreSend.objects.values_list("state", flat=True)) == [ScoreSend.State.SENT]
            assert len(platform.scores()) == 1, platform.scores()

            # The teacher, in the LMS's frame, brings in the course's roster (NRPS): Bruno, who
            # never opened Estaleiro, joins the class as a learner.
            bruno_sub = platform.sub("bruno")
            assert not Membership.objects.filter(klass=klass, user__lti_users__sub=bruno_sub).exists()
            people_url = live_server.url + reverse("classes:people", args=[klass.pk])
            page.frame(name="tool-frame").goto(people_url)
            teacher_frame = page.frame_locator("#tool-frame")
            teacher_frame.get_by_role("button", name="Sincronizar com o AVA agora").click()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if Membership.objects.filter(klass=klass, user__lti_users__sub=bruno_sub).exists():
                    break
                time.sleep(0.25)
            bruno = Membership.objects.get(klass=klass, user__lti_users__sub=bruno_sub)
            assert bruno.role == Role.LEARNER
            page.frame(name="tool-frame").goto(people_url)
            assert "Bruno" in teacher_frame.locator("#people").inner_text()

            # The LMS's gradebook shows the grade on its course page.
            page.reload()
            assert "ana: 100" in page.locator("tr.activity", has_text=LAB_TITLE).locator(".scores").inner_text()
    finally:
        learner_context.close()
