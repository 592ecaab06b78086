import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'broker': s.CELERY_BROKER_URL, 'sandbox': s.SANDBOX_DOCKER_HOST, 'debug': s.DEBUG,"
    " 'hosts': s.ALLOWED_HOSTS, 'lang': s.LANGUAGE_CODE}))"
)


def settings_under(env: dict, tmp_path: Path) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SANDBOX_DOCKER_HOST", "DEBUG", "ALLOWED_HOSTS"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ESTALEIRO_VAR_DIR": str(tmp_path)}, **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_work_on_one_machine(tmp_path):
    s = settings_under({}, tmp_path)
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(tmp_path / "db.sqlite3")
    assert s["broker"] == "redis://127.0.0.1:6379/0"
    assert s["sandbox"] == "unix:///run/estaleiro/docker.sock"
    assert s["debug"] is False
    assert s["lang"] == "pt-br"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides(tmp_path):
    s = settings_under(
        {
            "DATABASE_URL": "postgres://estaleiro:pw@db.internal:5432/estaleiro",
            "CELERY_BROKER_URL": "redis://redis:6379/2",
            "SANDBOX_DOCKER_HOST": "tcp://sandbox:2376",
            "DEBUG": "true",
            "ALLOWED_HOSTS": "estaleiro.example.edu, 10.0.0.5",
        },
        tmp_path,
    )
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["name"] == "estaleiro"
    assert s["broker"] == "redis://redis:6379/2"
    assert s["sandbox"] == "tcp://sandbox:2376"
    assert s["debug"] is True
    assert s["hosts"] == ["estaleiro.example.edu", "10.0.0.5"]


def test_grading_engine_does_not_import_django():
    code = "import sys, labs.grading; assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def manage(args: list[str], env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    clean.update({"ESTALEIRO_VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_a_database_url_of_another_kind_is_one_clear_sentence(tmp_path):
    done = manage(["check"], {"DATABASE_URL": "mysqlx://estaleiro@db/estaleiro"}, tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "Estaleiro is not configured correctly: DATABASE_URL must be sqlite:///PATH or "
        "postgres://USER:PASSWORD@HOST:5432/NAME, not a mysqlx:// URL."
    )


def test_a_database_that_does_not_answer_is_one_clear_sentence(tmp_path):
    done = manage(["migrate"], {"DATABASE_URL": "postgres://estaleiro:segredo@127.0.0.1:1/estaleiro"}, tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("The database cannot be reached (") and "Check DATABASE_URL" in line
    assert "segredo" not in line
