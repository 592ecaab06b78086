"""Two learners of a class open the parameterized lab in Chromium and read different values;
one writes a Dockerfile with hers, submits it and passes. Real browser, real worker, real
sandbox daemon."""

import time

import pytest
from django.urls import reverse

from labs.models import ParameterDraw, Submission
from tests.factories import UserFactory, default_class, lab_from_content

from .helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.docker,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

LAB_DIR = "content/labs/api-modelo-ml"
REFERENCE = open(f"{LAB_DIR}/reference/Dockerfile").read()
DOCKERIGNORE = open(f"{LAB_DIR}/reference/.dockerignore", "rb").read()


def open_lab(browser, live_server, username: str, url: str):
    page = browser.new_context(locale="pt-BR").new_page()
    log_in(page, live_server, username, url)
    page.get_by_role("heading", name="Seus valores").wait_for()
    return page, page.locator("[data-parameter=port]").inner_text(), page.locator("[data-parameter=user]").inner_text()


def test_classmates_read_their_own_values_and_one_passes_with_hers(
    browser, live_server, redis_url, sandbox_docker, celery_worker_process
):
    UserFactory(username="ana", first_name="Ana")
    UserFactory(username="bia", first_name="Bia")
    lab = lab_from_content("api-modelo-ml")
    url = reverse("labs:detail", args=[default_class().pk, lab.slug])
    ana, ana_port, ana_user = open_lab(browser, live_server, "ana", url)
    bia, bia_port, bia_user = open_lab(browser, live_server, "bia", url)
    assert (ana_port, ana_user) != (bia_port, bia_user)
    # Each reads her own values in the instructions.
    for page, port, user in ((ana, ana_port, ana_user), (bia, bia_port, bia_user)):
        instructions = page.locator("section[aria-labelledby=instructions-title]").inner_text()
        assert f"EXPOSE {port}" in instructions and f"USER {user}" in instructions
    stored = {d.learner.username: d.values for d in ParameterDraw.objects.select_related("learner")}
    assert stored == {
        "ana": {"port": int(ana_port), "user": ana_user},
        "bia": {"port": int(bia_port), "user": bia_user},
    }

    dockerfile = REFERENCE.replace("{{ param.port }}", ana_port).replace("{{ param.user }}", ana_user)
    ana.get_by_label("Dockerfile", exact=True).fill(dockerfile)
    ana.get_by_label("Arquivos extras (opcional)").set_input_files(
        [{"name": ".dockerignore", "mimeType": "text/plain", "buffer": DOCKERIGNORE}]
    )
    ana.get_by_role("button", name="Construir e verificar").click()
    ana.get_by_role("heading", name="Entrega #").wait_for()
    deadline = time.monotonic() + 240
    while not ana.locator(".verdict").count() and time.monotonic() < deadline:
        time.sleep(0.5)
    verdict = ana.locator(".verdict").inner_text()
    assert "Aprovado" in verdict and "106 / 106" in verdict, verdict
    values = ana.locator("section.lab-parameters").inner_text()
    assert "Seus valores" in values and ana_port in values and ana_user in values
    assert f"Porta {ana_port} exposta" in ana.locator('tr.check-passed[data-check="expose"]').inner_text()
    assert Submission.objects.get().parameters == {"port": int(ana_port), "user": ana_user}
