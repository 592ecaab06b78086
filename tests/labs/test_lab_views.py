import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import LabVersion, Submission
from labs.services import submission_grade
from tests.factories import UserFactory, default_class, offering_of

from .test_submission_services import DOCKERIGNORE, REFERENCE, fake_sandbox  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def submit(client, lab, dockerfile=REFERENCE, **files):
    data = {"dockerfile": dockerfile}
    if files:
        data["files"] = [io.BytesIO(content) for content in files.values()]
        for handle, name in zip(data["files"], files, strict=True):
            handle.name = name
    return client.post(reverse("labs:submit", args=[default_class().pk, lab.slug]), data)


def test_anonymous_is_sent_to_log_in(client, lab):
    for url in (
        reverse("labs:detail", args=[default_class().pk, lab.slug]),
        reverse("labs:starter-zip", args=[default_class().pk, lab.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_lab_page_shows_instructions_checks_starter_and_form(client, learner, lab):
    client.force_login(learner)
    body = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    assert "Seu primeiro contêiner" in body
    assert "<ol>" in body and "<code>python:3.11-slim</code>" in body  # Markdown rendered
    assert "GET / responde na porta 5000" in body and "obrigatória" in body
    assert reverse("labs:starter-file", args=[default_class().pk, lab.slug, "app.py"]) in body
    assert 'name="dockerfile"' in body and 'enctype="multipart/form-data"' in body


def test_instructions_are_sanitised(client, learner, lab):
    # Edited instructions are another version of the lab: a hash of its own names it.
    version = LabVersion.objects.get(lab=lab, spec_hash=lab.spec_hash)
    spec = {
        **version.spec,
        "instructions": "Oi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    }
    LabVersion.objects.create(lab=lab, spec_hash="hostile-instructions", spec=spec, starter_files=version.starter_files)
    lab.spec_hash = "hostile-instructions"
    lab.save()
    client.force_login(learner)
    body = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    main = body.split('id="instructions-title"')[1].split("</section>")[0]
    assert "<script>" not in main and "javascript:" not in main and "onerror" not in main


def test_starter_zip_and_file_view(client, learner, lab):
    client.force_login(learner)
    response = client.get(reverse("labs:starter-zip", args=[default_class().pk, lab.slug]))
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "primeiro-conteiner/app.py" in names and "primeiro-conteiner/requirements.txt" in names
    view = client.get(reverse("labs:starter-file", args=[default_class().pk, lab.slug, "app.py"]))
    assert "from flask import Flask" in view.content.decode()
    assert (
        client.get(reverse("labs:starter-file", args=[default_class().pk, lab.slug, "../lab.yaml"])).status_code == 404
    )


def test_submit_creates_and_redirects_to_the_submission(client, learner, lab, no_tasks):
    client.force_login(learner)
    response = submit(client, lab, **{".dockerignore": DOCKERIGNORE})
    submission = Submission.objects.get()
    assert response.status_code == 302 and response.url == reverse("labs:submission", args=[submission.pk])
    assert submission.learner == learner and submission.files.keys() == {".dockerignore"}
    page = client.get(response.url).content.decode()
    assert "Na fila: posição 1." in page
    assert 'hx-trigger="every 1s"' in page


def test_submit_zip_of_the_context(client, learner, lab, no_tasks):
    client.force_login(learner)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("projeto/Dockerfile", REFERENCE)
        archive.writestr("projeto/.dockerignore", DOCKERIGNORE)
    buffer.name = "projeto.zip"
    buffer.seek(0)
    response = client.post(
        reverse("labs:submit", args=[default_class().pk, lab.slug]), {"dockerfile": "", "archive": buffer}
    )
    assert response.status_code == 302
    assert Submission.objects.get().dockerfile == REFERENCE


def test_refused_submission_keeps_the_text_and_says_why(client, learner, lab, no_tasks):
    client.force_login(learner)
    submit(client, lab)
    response = submit(client, lab, dockerfile="FROM python:3.11-slim\n# segunda\n")
    assert response.status_code == 400
    body = response.content.decode()
    assert "já tem uma entrega em avaliação" in body
    assert "# segunda" in body  # nothing the learner typed is lost


def test_polling_partial_stops_when_graded(client, learner, lab, no_tasks, fake_sandbox):  # noqa: F811
    client.force_login(learner)
    submit(client, lab, **{".dockerignore": DOCKERIGNORE})
    submission = Submission.objects.get()
    url = reverse("labs:submission", args=[submission.pk])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="submission-status"') and "every 1s" in partial
    submission_grade(submission_id=submission.pk, worker_host="w1")
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in partial and "hx-get" not in partial
    assert "Aprovado" in partial and "100 / 100" in partial
    assert 'data-check="http-inicio"' in partial


def test_failing_step_is_highlighted_and_log_escaped(client, learner, lab, no_tasks):
    client.force_login(learner)
    submit(client, lab)
    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(
        status="failed",
        score=25,
        max_score=100,
        counted=True,
        log="Step 1/4 : FROM python:3.11-slim\nStep 3/4 : RUN pip install <script>x</script>\nERROR: boom\n",
        report={
            "status": "failed",
            "summary": "Ainda não",
            "failing_step": "Step 3/4 : RUN pip install <script>x</script>",
            "checks": [
                {
                    "id": "build",
                    "title": "Constrói",
                    "status": "failed",
                    "points": 0,
                    "max_points": 25,
                    "message": "Falhou <b>aqui</b>",
                    "hint": "Leia o log",
                    "lesson_section": "Construindo Imagens Docker",
                    "line": 3,
                    "output": "",
                }
            ],
            "rejections": [],
        },
    )
    body = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    assert '<span class="log-failing">Step 3/4 : RUN pip install &lt;script&gt;x&lt;/script&gt;</span>' in body
    assert "Falhou &lt;b&gt;aqui&lt;/b&gt;" in body
    assert "Leia o log" in body and "Linha 3 do Dockerfile" in body


def test_other_learners_cannot_see_a_submission(client, learner, other_learner, instructor, lab, no_tasks):
    client.force_login(learner)
    submit(client, lab)
    submission = Submission.objects.get()
    url = reverse("labs:submission", args=[submission.pk])
    client.force_login(other_learner)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).status_code == 403
    assert client.get(reverse("labs:scores-csv", args=[default_class().pk, lab.slug])).status_code == 403
    assert client.post(reverse("labs:regrade", args=[submission.pk])).status_code == 403
    detail = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    assert f"#{submission.pk}" not in detail  # not in the other learner's history
    client.force_login(instructor)  # the class's teacher
    assert client.get(url).status_code == 200


def test_instructor_list_stats_csv_and_regrade(client, learner, instructor, lab, no_tasks, fake_sandbox):  # noqa: F811
    learner.first_name = '=HYPERLINK("http://x")'
    learner.save()
    client.force_login(learner)
    submit(client, lab, **{".dockerignore": DOCKERIGNORE})
    submission = Submission.objects.get()
    submission_grade(submission_id=submission.pk, worker_host="w1")
    client.force_login(instructor)
    page = client.get(
        reverse("labs:submissions", args=[default_class().pk, lab.slug]), {"status": "passed"}
    ).content.decode()
    assert f"#{submission.pk}" in page and "Taxa de acerto por verificação" in page
    assert (
        f"#{submission.pk}"
        not in client.get(
            reverse("labs:submissions", args=[default_class().pk, lab.slug]), {"status": "failed"}
        ).content.decode()
    )
    csv_text = client.get(reverse("labs:scores-csv", args=[default_class().pk, lab.slug])).content.decode()
    header, row = csv_text.strip().splitlines()
    assert header.startswith("username,name,best_score")
    assert row.startswith("learner-a,\"'=HYPERLINK") and ",100,100,1,yes," in row
    # The time of the last submission in the site's zone, as the pages show it, with its offset.
    assert row.endswith("," + timezone.localtime(submission.created_at).isoformat(timespec="seconds"))
    response = client.post(reverse("labs:regrade", args=[submission.pk]))
    assert response.status_code == 302
    assert Submission.objects.get().status == "queued"


def test_home_shows_lab_progress(client, learner, lab, no_tasks, fake_sandbox):  # noqa: F811
    client.force_login(learner)
    assert "não iniciado" in client.get(reverse("home")).content.decode()
    submit(client, lab, **{".dockerignore": DOCKERIGNORE})
    submission_grade(submission_id=Submission.objects.get().pk, worker_host="w1")
    body = client.get(reverse("home")).content.decode()
    assert "melhor nota 100 em 1 tentativa" in body and "aprovado" in body


def test_instructor_filters_by_learner_and_local_dates(client, instructor, lab):
    """Learner matches username or first name, any case; dates are the school's local days
    (America/Sao_Paulo), both ends included; a bad date is reported and the other filters
    still apply."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    utc = ZoneInfo("UTC")
    ana = UserFactory(username="ana.souza", first_name="Ana")
    bruno = UserFactory(username="b.lima", first_name="Bruno")
    made = {}
    for key, learner, when in [
        ("ana-nov30", ana, datetime(2026, 11, 30, 12, 0, tzinfo=utc)),
        # 01:30 UTC on 2 Dec is still 1 Dec in São Paulo (UTC-3).
        ("ana-dec1-late", ana, datetime(2026, 12, 2, 1, 30, tzinfo=utc)),
        ("bruno-dec2", bruno, datetime(2026, 12, 2, 15, 0, tzinfo=utc)),
    ]:
        submission = Submission.objects.create(
            learner=learner,
            lab=lab,
            offering=offering_of(lab),
            dockerfile="FROM python:3.11-slim\n",
            status="failed",
            counted=True,
        )
        Submission.objects.filter(pk=submission.pk).update(created_at=when)
        made[key] = submission.pk
    client.force_login(instructor)

    def listed(**params):
        response = client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug]), params)
        assert response.status_code == 200
        return {key for key, pk in made.items() if pk in {item.pk for item in response.context["page"]}}, response

    assert listed()[0] == set(made)
    assert listed(learner="ANA")[0] == {"ana-nov30", "ana-dec1-late"}
    assert listed(learner="lima")[0] == {"bruno-dec2"}  # part of the username
    assert listed(learner="brun")[0] == {"bruno-dec2"}  # part of the first name
    assert listed(learner="ninguém")[0] == set()
    assert listed(since="2026-12-01")[0] == {"ana-dec1-late", "bruno-dec2"}
    assert listed(until="2026-12-01")[0] == {"ana-nov30", "ana-dec1-late"}
    assert listed(since="2026-12-01", until="2026-12-01")[0] == {"ana-dec1-late"}
    assert listed(since="2026-12-02", learner="ana")[0] == set()

    shown, response = listed(learner="ana", since="31/31/2026")
    assert shown == {"ana-nov30", "ana-dec1-late"}  # the learner filter still applies
    assert "Informe uma data válida." in response.content.decode()
    shown, response = listed(since="2026-12-02", until="2026-12-01")
    assert shown == {"bruno-dec2"}
    assert "A data final é anterior à data inicial." in response.content.decode()


def test_instructor_list_pages_keep_the_filters(client, instructor, lab):

    learner = UserFactory(username="carla")
    Submission.objects.bulk_create(
        Submission(
            learner=learner, lab=lab, offering=offering_of(lab), dockerfile="FROM python:3.11-slim\n", status="failed"
        )
        for _ in range(120)
    )
    client.force_login(instructor)
    url = reverse("labs:submissions", args=[default_class().pk, lab.slug])
    body = client.get(url, {"learner": "carla", "page": "2"}).content.decode()
    assert 'href="?learner=carla&amp;page=3"' in body
    assert 'href="?learner=carla&amp;page=1"' in body
    assert "page=2&amp;page" not in body


@pytest.mark.redis
def test_the_status_poll_appends_only_the_new_log_lines(client, learner, lab, redis_url):
    """While a build runs each poll carries the log's offset and build, and gets back only the
    lines added since, to append; another build, or the verdict, replaces the log whole."""
    import html as html_lib
    import re

    from django.utils import timezone

    from labs.livelog import LiveLog

    submission = Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile="FROM python:3.11-slim\n",
        status=Submission.Status.BUILDING,
        building_at=timezone.now(),
    )
    live = LiveLog(submission.pk, owner="run")
    live.start()
    url = reverse("labs:submission", args=[submission.pk])

    def next_poll(body: str) -> str:
        return html_lib.unescape(re.search(r'hx-get="([^"]+)"', body)[1])

    try:
        client.force_login(learner)
        live.append("Step 1/2 : FROM python:3.11-slim\nStep 2/2 : RUN echo a")  # the 2nd line is unfinished
        page = client.get(url).content.decode()
        assert '<pre id="build-log"' in page and "Step 1/2" in page and "Step 2/2" not in page
        poll = next_poll(page)
        first_line = "Step 1/2 : FROM python:3.11-slim\n"
        assert f"log_from={len(first_line.encode())}&" in poll

        live.append("ção\n<script>alert(1)</script>\n")
        answer = client.get(poll, headers=HTMX).content.decode()
        assert 'hx-swap-oob="beforeend:#build-log"' in answer and 'id="log-section"' not in answer
        assert "Step 2/2 : RUN echo ação" in answer and "Step 1/2" not in answer
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer and "<script>alert" not in answer
        assert "history-section" not in answer  # the history waits for the verdict
        quiet = client.get(next_poll(answer), headers=HTMX).content.decode()
        assert "hx-swap-oob" not in quiet  # nothing new: nothing to append

        # A poll from another build (the page was open across a retry) gets the log whole.
        stale = client.get(f"{url}?log_from=5&log_epoch=12345", headers=HTMX).content.decode()
        assert 'id="log-section"' in stale and 'hx-swap-oob="outerHTML"' in stale and "Step 1/2" in stale

        # The verdict: the stored log with the failing step marked, and the history.
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.FAILED,
            finished_at=timezone.now(),
            score=0,
            max_score=100,
            counted=True,
            log="Step 1/2 : FROM python:3.11-slim\nStep 2/2 : RUN exit 3\nThe command returned a non-zero code: 3\n",
            report={"status": "failed", "summary": "Ainda não", "failing_step": "Step 2/2 : RUN exit 3", "checks": []},
        )
        final = client.get(next_poll(answer), headers=HTMX).content.decode()
        assert 'id="log-section"' in final and '<span class="log-failing">Step 2/2 : RUN exit 3</span>' in final
        assert 'id="history-section"' in final and "hx-get=" not in final  # polling stops
    finally:
        live.clear()


def test_instructor_regrades_the_latest_or_every_submission(client, learner, instructor, lab, no_tasks):
    finished = [
        Submission.objects.create(
            learner=learner,
            lab=lab,
            offering=offering_of(lab),
            dockerfile="FROM python:3.11-slim\n",
            status="failed",
            counted=True,
        )
        for _ in range(3)
    ]
    client.force_login(instructor)
    page = client.get(reverse("labs:submissions", args=[default_class().pk, lab.slug])).content.decode()
    assert "Reavaliar todas as entregas (3)" in page
    response = client.post(
        reverse("labs:regrade-all", args=[default_class().pk, lab.slug]), {"scope": "latest"}, follow=True
    )
    assert "1 entrega(s) na fila para reavaliação." in response.content.decode()
    assert Submission.objects.filter(status="queued", regrading=True).count() == 1
    Submission.objects.update(status="failed", regrading=False)
    response = client.post(
        reverse("labs:regrade-all", args=[default_class().pk, lab.slug]), {"scope": "every"}, follow=True
    )
    assert "3 entrega(s) na fila para reavaliação." in response.content.decode()
    assert Submission.objects.filter(pk__in=[s.pk for s in finished], status="queued", regrading=True).count() == 3
    # The learner sees why their old submission is being graded again.
    client.force_login(learner)
    body = client.get(reverse("labs:submission", args=[finished[0].pk])).content.decode()
    assert "Um instrutor está avaliando esta entrega de novo" in body


HEAVY_COLUMNS = ("files", "dockerfile", "report", "log")


def submission_selects(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT") and '"labs_submission"' in q["sql"]
    ]


def selected_columns(sql: str) -> set[str]:
    head = sql.split(" FROM ", 1)[0]
    return {column for column in HEAVY_COLUMNS if f'"labs_submission"."{column}"' in head}


def test_the_status_poll_reads_only_the_columns_it_shows(client, learner, lab):
    """Polled every second by every learner waiting: it must not load the uploaded files
    (up to 5 MB), the Dockerfile, the report or the stored log while the work runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    heavy = {"app.py": "x" * 1_000_000}
    submission = Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile="FROM python:3.11-slim\n" * 100,
        files=heavy,
        status=Submission.Status.BUILDING,
        building_at=timezone.now(),
    )
    client.force_login(learner)
    url = reverse("labs:submission", args=[submission.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}?log_from=0&log_epoch=0", headers=HTMX)
    assert response.status_code == 200 and "every 1s" in response.content.decode()
    selects = submission_selects(queries.captured_queries)
    assert selects, "the poll read no submission at all?"
    for sql in selects:
        assert not selected_columns(sql), f"the poll loads {selected_columns(sql)}: {sql[:300]}"

    # The verdict brings the report and the log, still never the files or the Dockerfile.
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.FAILED,
        finished_at=timezone.now(),
        score=0,
        max_score=100,
        counted=True,
        log="Step 1/1 : FROM python:3.11-slim\n",
        report={"status": "failed", "summary": "Ainda não", "checks": []},
    )
    with CaptureQueriesContext(connection) as queries:
        final = client.get(f"{url}?log_from=0&log_epoch=0", headers=HTMX).content.decode()
    assert "Ainda não" in final and "Step 1/1" in final and 'id="history-section"' in final
    for sql in submission_selects(queries.captured_queries):
        assert not selected_columns(sql) & {"files", "dockerfile"}, sql[:300]
