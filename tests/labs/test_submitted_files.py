"""What a submission is made of (the editors, loose files and a .zip, and which one wins
when they name the same file), and the files shown on the submission page."""

import io
import re
import zipfile

import pytest
from django.urls import reverse

from labs.content import encode_files
from labs.forms import SubmissionForm, editor_digest
from labs.models import Submission
from labs.services import EditorFile, SubmissionRefused, sent_files, submission_create
from tests.factories import default_class, lab_from_content, offering_of

pytestmark = pytest.mark.django_db

LAB_DIR = "content/labs/api-modelo-ml"
STARTER = open(f"{LAB_DIR}/starter/Dockerfile").read()
REFERENCE = open(f"{LAB_DIR}/reference/Dockerfile").read()
EDITED = "FROM python:3.11-slim\n# escrito no editor\n"
IGNORE = ".git\n__pycache__\n"


@pytest.fixture
def lab():
    return lab_from_content("api-modelo-ml")


def zipped(**files: bytes | str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"projeto/{name}", data)
    buffer.name = "projeto.zip"
    buffer.seek(0)
    return buffer


# -- the rule, at the service ---------------------------------------------------------------


def test_an_untouched_editor_never_replaces_an_uploaded_file():
    sent = sent_files(
        editor={"Dockerfile": EditorFile(STARTER, edited=False), ".dockerignore": EditorFile("", edited=False)},
        uploads={"Dockerfile": REFERENCE.encode(), "app.py": b"print()"},
    )
    assert sent.files == {"Dockerfile": REFERENCE.encode(), "app.py": b"print()"}
    assert sent.uploaded_over_editor == ["Dockerfile"] and sent.editor_over_upload == []


def test_an_edited_editor_wins_over_an_upload_and_says_so():
    sent = sent_files(
        editor={"Dockerfile": EditorFile(EDITED, edited=True)}, uploads={"Dockerfile": REFERENCE.encode()}
    )
    assert sent.files == {"Dockerfile": EDITED.encode()}
    assert sent.editor_over_upload == ["Dockerfile"] and sent.uploaded_over_editor == []


def test_an_edited_editor_beside_an_upload_without_that_file():
    sent = sent_files(
        editor={"Dockerfile": EditorFile(EDITED, edited=True), ".dockerignore": EditorFile(IGNORE, edited=True)},
        uploads={"app.py": b"print()"},
    )
    assert sent.files == {"Dockerfile": EDITED.encode(), ".dockerignore": IGNORE.encode(), "app.py": b"print()"}
    assert sent.editor_over_upload == [] and sent.uploaded_over_editor == []


def test_an_untouched_editor_without_upload_is_sent_and_a_blank_one_is_not(learner, lab):
    sent = sent_files(
        editor={"Dockerfile": EditorFile(STARTER, edited=False), ".dockerignore": EditorFile(" \n", edited=True)},
        uploads={},
    )
    assert sent.files == {"Dockerfile": STARTER.encode()}
    submission = submission_create(
        learner=learner, offering=offering_of(lab), dockerfile="", uploads=sent.files, lang="pt-BR"
    )
    assert submission.dockerfile == STARTER and submission.files == {}
    blank = sent_files(editor={"Dockerfile": EditorFile("\n", edited=True)}, uploads={})
    with pytest.raises(SubmissionRefused, match="Dockerfile"):
        submission_create(learner=learner, offering=offering_of(lab), dockerfile="", uploads=blank.files, lang="pt-BR")


def test_the_form_knows_an_editor_left_as_served(lab):
    starter = {"Dockerfile": STARTER.encode()}

    def editors(data):
        form = SubmissionForm(data)
        assert form.is_valid(), form.errors
        return form.editor_files(starter=starter)

    served = SubmissionForm.initial_for({"Dockerfile": "FROM python:3.11-slim\n", ".dockerignore": IGNORE})
    # Sent back as a browser sends a textarea: CRLF line ends.
    back = {**served, "dockerfile": "FROM python:3.11-slim\r\n", "dockerignore": IGNORE.replace("\n", "\r\n")}
    assert editors(back) == {
        "Dockerfile": EditorFile("FROM python:3.11-slim\r\n", edited=False),
        ".dockerignore": EditorFile(IGNORE.replace("\n", "\r\n"), edited=False),
    }
    changed = editors({**back, "dockerignore": "*.pyc"})
    assert changed[".dockerignore"].edited and not changed["Dockerfile"].edited
    # No digest (a form posted by a script): the starter's text is still known for what it is.
    assert editors({"dockerfile": STARTER.replace("\n", "\r\n")})["Dockerfile"].edited is False
    assert editors({"dockerfile": EDITED})["Dockerfile"].edited is True
    assert served["dockerfile_served"] == editor_digest("FROM python:3.11-slim\r\n\r\n")


# -- the rule, through the lab page ------------------------------------------------------------


def post(client, lab, **data):
    return client.post(reverse("labs:submit", args=[default_class().pk, lab.slug]), data, follow=True)


def served_form(client, lab) -> dict[str, str]:
    """The editors' fields as the lab page serves them."""
    body = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    fields = {}
    for name in ("dockerfile_served", "dockerignore_served"):
        fields[name] = re.search(rf'name="{name}" value="([0-9a-f]+)"', body).group(1)
    return fields


def test_untouched_editor_and_a_zip_with_a_dockerfile_uses_the_zip(client, learner, lab, no_tasks):
    client.force_login(learner)
    served = served_form(client, lab)
    response = post(
        client,
        lab,
        dockerfile=STARTER.replace("\n", "\r\n"),
        dockerignore="",
        archive=zipped(**{"Dockerfile": REFERENCE, ".dockerignore": IGNORE}),
        **served,
    )
    submission = Submission.objects.get()
    assert submission.dockerfile == REFERENCE and submission.files.keys() == {".dockerignore"}
    body = response.content.decode()
    assert "Dockerfile: foi usado o arquivo que você enviou" in body
    assert "O Dockerfile está vazio" not in body


def test_edited_editor_and_a_zip_with_a_dockerfile_uses_the_editor_and_says_so(client, learner, lab, no_tasks):
    client.force_login(learner)
    served = served_form(client, lab)
    response = post(client, lab, dockerfile=EDITED, archive=zipped(Dockerfile=REFERENCE), **served)
    assert Submission.objects.get().dockerfile == EDITED
    assert "Dockerfile: foi usado o texto do editor; o arquivo de mesmo nome que você enviou foi ignorado." in (
        response.content.decode()
    )


def test_edited_editor_and_a_zip_without_a_dockerfile(client, learner, lab, no_tasks):
    client.force_login(learner)
    served = served_form(client, lab)
    response = post(client, lab, dockerfile=EDITED, archive=zipped(**{"app.py": "print('oi')\n"}), **served)
    submission = Submission.objects.get()
    assert submission.dockerfile == EDITED and submission.files.keys() == {"app.py"}
    body = response.content.decode()
    assert "foi usado o texto do editor" not in body and "foi usado o arquivo que você enviou" not in body


def test_untouched_editor_and_no_upload_sends_the_editor(client, learner, lab, no_tasks):
    client.force_login(learner)
    served = served_form(client, lab)
    post(client, lab, dockerfile=STARTER.replace("\n", "\r\n"), dockerignore="", **served)
    submission = Submission.objects.get()
    assert submission.dockerfile.replace("\r\n", "\n") == STARTER and submission.files == {}


def test_a_dockerignore_written_in_the_editor_reaches_the_submission(client, learner, lab, no_tasks):
    client.force_login(learner)
    page = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    assert '<label for="id_dockerignore"><code>.dockerignore</code></label>' in page
    assert 'name="dockerignore"' in page and 'aria-describedby="id_dockerignore_helptext id_editor_rule"' in page
    post(client, lab, dockerfile=REFERENCE, dockerignore=IGNORE, **served_form(client, lab))
    submission = Submission.objects.get()
    assert submission.files == encode_files({".dockerignore": IGNORE.encode()})
    # The next visit starts from what was sent, .dockerignore included.
    Submission.objects.update(status="failed")
    page = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug])).content.decode()
    editor = page.split('name="dockerignore"')[1].split("</textarea>")[0]
    assert "__pycache__" in editor


# -- the submission page shows what was sent ---------------------------------------------------

HOSTILE = 'FROM python:3.11-slim\nRUN echo "<script>alert(1)</script>"\nCMD ["x"]\n'


def stored(learner, lab, **report) -> Submission:
    return Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile=HOSTILE,
        files=encode_files({".dockerignore": b"<b>.git</b>\n", "modelo.joblib": b"\x80\x00\x01" * 10}),
        lang="pt-BR",
        spec_hash=lab.spec_hash,
        status="failed",
        score=0,
        max_score=100,
        report=report or None,
    )


def test_the_submission_page_shows_each_file_escaped_with_line_anchors(client, learner, lab):
    submission = stored(learner, lab)
    client.force_login(learner)
    body = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    section = body.split('id="files-section"')[1].split("</section>")[0]
    assert "<script>" not in section and "<b>" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "&lt;b&gt;.git&lt;/b&gt;" in section
    assert '<span class="code-line" id="dockerfile-L2"><a class="line-number" href="#dockerfile-L2"' in section
    assert 'id="dockerfile-L3"' in section and 'id="dockerfile-L4"' not in section
    assert section.index("<code>Dockerfile</code>") < section.index("<code>.dockerignore</code>")
    assert "<code>modelo.joblib</code>" in section and "Arquivo binário, 30 bytes." in section


def test_a_check_that_names_a_line_links_to_it(client, learner, lab):
    check = {
        "id": "user",
        "title": "Usuário não-root",
        "status": "failed",
        "points": 0,
        "max_points": 10,
        "message": "Falta USER",
        "hint": "",
        "lesson_section": "",
        "line": 2,
        "output": "",
    }
    submission = stored(learner, lab, status="failed", summary="Ainda não", checks=[check], rejections=[])
    client.force_login(learner)
    body = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    assert '<a href="#dockerfile-L2">Linha 2 do Dockerfile</a>' in body
    assert 'id="dockerfile-L2"' in body


def test_only_the_learner_and_instructors_see_the_files(client, learner, other_learner, instructor, lab):
    submission = stored(learner, lab)
    url = reverse("labs:submission", args=[submission.pk])
    client.force_login(other_learner)
    response = client.get(url)
    assert response.status_code == 404 and "alert(1)" not in response.content.decode()
    client.force_login(instructor)
    body = client.get(url).content.decode()
    assert 'id="files-section"' in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
