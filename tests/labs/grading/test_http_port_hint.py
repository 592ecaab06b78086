"""An app that listens on another port than the lab asks: the HTTP check's failure names the
CMD (or ENTRYPOINT) line that binds that port."""

import pytest

from labs.grading.checks import HttpCheck, command_binding_other_port, run_http
from labs.grading.dockerfile import parse
from labs.grading.kinds import Grading
from labs.grading.types import CheckStatus

from .fakes import FakeContainer

CHECK = HttpCheck(id="api", kind="http", title="API", points=1, port=5000, path="/health")


def grading(dockerfile: str, lang: str = "pt-BR") -> Grading:
    return Grading(
        spec=None,  # type: ignore[arg-type]
        files={},
        dockerfile=dockerfile,
        parsed=parse(dockerfile),
        lang=lang,
        sandbox=None,  # type: ignore[arg-type]
        container=FakeContainer(),
    )


WRONG_PORT = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n'


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("pt-BR", "Linha 4: o CMD inicia a aplicação na porta 8000; faça-a escutar em 0.0.0.0:5000."),
        ("en", "Line 4: CMD starts the app on port 8000; make it listen on 0.0.0.0:5000."),
    ],
)
def test_the_failure_names_the_cmd_line_binding_the_other_port(lang, expected):
    outcome = run_http(CHECK, grading(WRONG_PORT, lang))
    assert outcome.status == CheckStatus.FAILED and outcome.line == 4
    assert outcome.message.render(lang).endswith(expected)


@pytest.mark.parametrize(
    ("dockerfile", "found"),
    [
        ("FROM python:3.11-slim\nCMD gunicorn -b :8080 app:app\n", (2, "CMD", 8080)),
        ('FROM python:3.11-slim\nCMD ["flask", "run", "--host=0.0.0.0", "--port=8000"]\n', (2, "CMD", 8000)),
        ('FROM python:3.11-slim\nENTRYPOINT ["uvicorn", "app:app", "--port", "80"]\n', (2, "ENTRYPOINT", 80)),
        ('FROM python:3.11-slim\nCMD ["gunicorn", "--bind", "0.0.0.0:5000", "--timeout", "120", "app:app"]\n', None),
        ('FROM python:3.11-slim\nCMD ["python", "app.py"]\n', None),  # names no port: nothing to point at
        ('FROM python:3.11-slim\nCMD ["python", "-b", ":8000"]\nCMD ["gunicorn", "-b", ":5000", "a:a"]\n', None),
    ],
)
def test_which_start_commands_bind_another_port(dockerfile, found):
    assert command_binding_other_port(grading(dockerfile), 5000) == found


def test_without_a_port_in_the_command_the_message_stays_the_general_one():
    outcome = run_http(CHECK, grading('FROM python:3.11-slim\nCMD ["python", "app.py"]\n', "en"))
    assert outcome.line is None and outcome.message.render("en").endswith("Does the app listen on 0.0.0.0:5000?")
