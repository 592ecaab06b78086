"""A learner in Chromium sends a lab's files: a .zip beside the untouched editor, a
.dockerignore written in the page; the submission page says what was used and shows it.
Grading is not sent (no sandbox needed): what is asserted is what the page shows up to the queue."""

import io
import zipfile

import pytest
from django.urls import reverse

from labs.models import Submission
from tests.factories import UserFactory, default_class, lab_from_content

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAB_DIR = "content/labs/api-modelo-ml"
# As a learner would write it: with values (the lesson's), not the lab's placeholders.
REFERENCE = (
    open(f"{LAB_DIR}/reference/Dockerfile")
    .read()
    .replace("{{ param.port }}", "5000")
    .replace("{{ param.user }}", "appuser")
)


@pytest.fixture
def no_tasks(monkeypatch):
    from labs import tasks

    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *a, **k: None)


def open_lab(page, live_server):
    UserFactory(username="ana", first_name="Ana")
    lab = lab_from_content("api-modelo-ml")
    log_in(page, live_server, "ana", reverse("labs:detail", args=[default_class().pk, lab.slug]))
    page.get_by_role("heading", name="API de modelo de ML com boas práticas").wait_for()


def test_a_zip_beside_the_untouched_editor_is_used(page, live_server, no_tasks):
    open_lab(page, live_server)
    assert "Escreva aqui o Dockerfile" in page.get_by_label("Dockerfile", exact=True).input_value()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("projeto/Dockerfile", REFERENCE)
    page.get_by_label("Ou um .zip", exact=False).set_input_files(
        [{"name": "projeto.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}]
    )
    page.get_by_role("button", name="Construir e verificar").click()
    page.get_by_role("heading", name="Entrega #").wait_for()
    assert "Dockerfile: foi usado o arquivo que você enviou" in page.locator(".messages").inner_text()
    assert "Na fila" in page.locator("#submission-status").inner_text()
    files = page.locator("#files-section")
    assert 'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]' in files.inner_text()
    assert Submission.objects.get().dockerfile == REFERENCE


def test_a_dockerignore_typed_in_the_page_is_sent_and_shown(page, live_server, no_tasks):
    open_lab(page, live_server)
    dockerfile = page.get_by_label("Dockerfile", exact=True)
    dockerfile.fill(REFERENCE)
    # By keyboard: out of the Dockerfile editor (Escape, then Tab) and into the .dockerignore's.
    dockerfile.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    ignore = page.get_by_label(".dockerignore", exact=True)
    assert ignore.evaluate("el => el === document.activeElement")
    page.keyboard.type(".git\n__pycache__\n")
    page.get_by_role("button", name="Construir e verificar").click()
    page.get_by_role("heading", name="Entrega #").wait_for()
    assert page.locator(".messages").count() == 0  # nothing uploaded: no choice to report
    shown = page.locator("#files-section")
    shown.get_by_role("heading", name=".dockerignore").wait_for()
    assert "__pycache__" in shown.inner_text()
    page.goto(page.url + "#dockerfile-L2")
    assert page.locator("#dockerfile-L2").evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    stored = Submission.objects.get()
    assert stored.dockerfile.replace("\r\n", "\n") == REFERENCE
    assert set(stored.files) == {".dockerignore"}
