"""`manage.py grade`: the engine's public face, against the real sandbox daemon."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "content" / "labs" / "primeiro-conteiner"


def grade_json(*args) -> dict:
    out = io.StringIO()
    call_command("grade", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.docker
def test_reference_directory_gets_full_marks_with_stable_json(sandbox_docker):
    report = grade_json("primeiro-conteiner", str(LAB / "reference"))
    assert report["status"] == "passed" and report["score"] == report["max_score"] == 100
    assert report["schema"] == 2 and report["gradable"] is True  # 2: messages also as data (README)
    assert set(report) >= {
        "lab",
        "status",
        "score",
        "max_score",
        "checks",
        "timings",
        "summary",
        "rejections",
        "gradable",
        "summary_data",
    }
    assert {"gate", "lint", "build", "run", "checks", "cleanup", "total"} <= set(report["timings"])
    check = report["checks"][0]
    assert set(check) >= {
        "id",
        "kind",
        "status",
        "points",
        "max_points",
        "message",
        "hint",
        "lesson_section",
        "line",
        "output",
        "message_data",
    }


@pytest.mark.docker
def test_lone_dockerfile_uses_the_starter_files_and_speaks_english(sandbox_docker, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n"
    )
    report = grade_json("primeiro-conteiner", str(dockerfile), "--lang", "en")
    failed = {c["id"] for c in report["checks"] if c["status"] != "passed"}
    assert {"deps-first", "pip-no-cache", "json-cmd", "expose", "dockerignore"} <= failed
    assert "http-inicio" not in failed  # the dev server still answers on 5000
    json_cmd = next(c for c in report["checks"] if c["id"] == "json-cmd")
    assert json_cmd["line"] == 5 and json_cmd["message"].startswith("Line 5")


@pytest.mark.docker
def test_zip_upload_is_graded(sandbox_docker, tmp_path):
    archive = tmp_path / "entrega.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("Dockerfile", ".dockerignore"):
            zf.write(LAB / "reference" / name, f"entrega/{name}")
    assert grade_json("primeiro-conteiner", str(archive))["status"] == "passed"


def test_rejected_submission_exits_zero_and_needs_no_daemon(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM ubuntu:22.04\n")
    report = grade_json("primeiro-conteiner", str(dockerfile))
    assert report["status"] == "rejected" and report["gradable"] is False
    assert "ubuntu:22.04" in report["rejections"][0]["message"]


def test_unknown_lab_and_missing_path_are_clear(tmp_path):
    with pytest.raises(CommandError, match="no lab 'nao-existe'"):
        call_command("grade", "nao-existe", str(tmp_path))
    with pytest.raises(CommandError, match="no such file or directory"):
        call_command("grade", "primeiro-conteiner", str(tmp_path / "nada"))


def test_platform_failure_exits_non_zero(tmp_path):
    env = {
        "SANDBOX_DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock",
        "PATH": "/usr/bin:/bin",
        "ESTALEIRO_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "grade", "primeiro-conteiner", str(LAB / "reference")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "unreachable" in (done.stderr + done.stdout)
