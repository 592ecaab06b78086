"""Hostile submissions against the real sandbox daemon: each ends in a clear verdict within
the lab's limits, leaves nothing behind, and the next submission still grades."""

import shutil
import uuid
from pathlib import Path

import pytest

from labs.content import LabContent
from labs.grading.spec import parse_spec
from labs.grading_service import grade_files
from labs.sandbox.context import ContextError, extract_zip

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "content" / "labs" / "primeiro-conteiner" / "starter"
REFERENCE = (ROOT / "content" / "labs" / "primeiro-conteiner" / "reference" / "Dockerfile").read_bytes()

# A lab like primeiro-conteiner, with short limits so hostile cases end quickly.
SPEC = """
slug: hostil
title: Corpus hostil
bases: [python:3.11-slim]
packages: [Flask==3.1.3, gunicorn==23.0.0]
limits: {build_seconds: 25, run_seconds: 30, memory_mb: 256, pids: 64, log_bytes: 200000}
checks:
  - {id: build, kind: build, title: Constrói, points: 50, required: true}
  - {id: http-inicio, kind: http, title: Responde, points: 40, required: true, port: 5000, path: /, ready_seconds: 8}
  - {id: setuid, kind: command, title: Sem setuid, points: 10, argv: [sh, -c, "/tmp/../usr/local/bin/meu-id -u 2>/dev/null || id -u"], reject_regex: "^0$", timeout: 10}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab_dir = tmp_path_factory.mktemp("labs") / "hostil"
    shutil.copytree(STARTER, lab_dir / "starter")
    return LabContent(dir=lab_dir, spec=parse_spec(SPEC), hash="hostil")


def leftovers(client, submission: str) -> list[str]:
    containers = client.api.containers(all=True, filters={"label": f"estaleiro.submission={submission}"})
    # Low-level listing: no per-image follow-up request that could race a concurrent removal.
    images = [t for image in client.api.images() for t in (image.get("RepoTags") or []) if submission in t]
    # Build steps' containers carry no label; none may outlive its build.
    running_builds = [
        c["Id"] for c in client.api.containers(all=True) if not c.get("Labels") and c["State"] in {"running", "created"}
    ]
    return [c["Id"] for c in containers] + images + running_builds


def grade(lab, dockerfile: str | bytes, **extra):
    submission = f"hostil-{uuid.uuid4().hex[:10]}"
    files = {"Dockerfile": dockerfile.encode() if isinstance(dockerfile, str) else dockerfile, **extra}
    report = grade_files(lab=lab, given=files, submission_id=submission).report
    return report, submission


def by_id(report, check_id):
    return next(c for c in report.checks if c.id == check_id)


APP = "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"

BUILD_FAILURES = {
    "fork-bomb-in-run": "FROM python:3.11-slim\nRUN bomba() { bomba | bomba; }; bomba\n",
    "memory-bomb-in-run": 'FROM python:3.11-slim\nRUN python -c "b = bytearray(2 * 1024 ** 3)"\n',
    "infinite-loop-in-run": "FROM python:3.11-slim\nRUN while true; do :; done\n",
    "log-flood-in-run": 'FROM python:3.11-slim\nRUN yes "muito log muito log muito log"\n',
    "network-egress": "FROM python:3.11-slim\nRUN python -c \"import urllib.request; urllib.request.urlopen('http://1.1.1.1', timeout=5)\"\n",
    "pip-from-the-internet": "FROM python:3.11-slim\nRUN pip install --index-url https://pypi.org/simple requests\n",
}


@pytest.mark.parametrize("case", sorted(BUILD_FAILURES))
def test_hostile_build_fails_cleanly(lab, sandbox_docker, case):
    report, submission = grade(lab, BUILD_FAILURES[case])
    assert report.status == "failed", (report.status, report.summary, report.error)
    build = by_id(report, "build")
    assert build.status == "failed" and build.message
    assert report.timings["build"] < lab.spec.limits.build_seconds + 20
    assert leftovers(sandbox_docker, submission) == []
    if case == "log-flood-in-run":
        assert report.log_truncated


RUN_FAILURES = {
    "fork-bomb-in-cmd": 'CMD ["sh", "-c", "bomba() { bomba | bomba & }; bomba"]',
    "memory-bomb-in-cmd": 'CMD ["python", "-c", "b = bytearray(2 * 1024 ** 3)"]',
    "infinite-loop-in-cmd": 'CMD ["sh", "-c", "while true; do :; done"]',
    "ignores-sigterm": 'CMD ["sh", "-c", "trap \\"\\" TERM; while true; do sleep 1; done"]',
    "exits-at-once": 'CMD ["python", "-c", "print(\'tchau\')"]',
    "wrong-port": 'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]',
    "disk-filler-in-cmd": 'CMD ["sh", "-c", "dd if=/dev/zero of=/tmp/enche bs=1M count=4096; sleep 60"]',
}


@pytest.mark.parametrize("case", sorted(RUN_FAILURES))
def test_hostile_container_fails_cleanly(lab, sandbox_docker, case):
    report, submission = grade(lab, f"FROM python:3.11-slim\n{APP}{RUN_FAILURES[case]}\n")
    assert report.status == "failed", (report.status, report.summary, report.error)
    assert by_id(report, "build").status == "passed"
    http = by_id(report, "http-inicio")
    assert http.status == "failed" and http.message
    assert report.timings["run"] < lab.spec.limits.run_seconds
    assert leftovers(sandbox_docker, submission) == []
    if case == "exits-at-once":
        assert "tchau" in http.message


def test_setuid_binary_cannot_gain_root(lab, sandbox_docker):
    dockerfile = (
        f"FROM python:3.11-slim\n{APP}"
        "RUN cp /usr/bin/id /usr/local/bin/meu-id && chmod u+s /usr/local/bin/meu-id && useradd -m aluno\n"
        "USER aluno\n"
        'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]\n'
    )
    report, submission = grade(lab, dockerfile)
    assert report.status == "passed", [(c.id, c.message, c.output) for c in report.checks]
    assert by_id(report, "setuid").output.strip() != "0"
    assert leftovers(sandbox_docker, submission) == []


REJECTED: dict[str, tuple[str | bytes, str]] = {
    "from-outside-allowlist": ("FROM alpine:3.20\n", "alpine:3.20"),
    "add-url": ("FROM python:3.11-slim\nADD https://example.com/x.tgz /x\n", "ADD"),
    "copy-outside-context": ("FROM python:3.11-slim\nCOPY ../segredo /s\n", "../segredo"),
    "ten-thousand-lines": ("FROM python:3.11-slim\n" + "RUN true\n" * 10_000, "64000"),
    "binary-junk": (bytes(range(256)) * 40, ""),
    "buildkit-mount": ("FROM python:3.11-slim\nRUN --mount=type=cache,target=/root/.cache pip list\n", "BuildKit"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_hostile_dockerfile_is_rejected_before_any_build(lab, sandbox_docker, case):
    dockerfile, mention = REJECTED[case]
    images_before = len(sandbox_docker.api.images(all=True))
    report, submission = grade(lab, dockerfile)
    assert report.status == "rejected"
    assert report.rejections and all(r["message"] for r in report.rejections)
    assert mention in " ".join(r["message"] for r in report.rejections)
    assert len(sandbox_docker.api.images(all=True)) == images_before


def test_hostile_uploads_are_refused_with_a_reason(lab):
    import io
    import zipfile

    def zip_of(entries):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in entries:
                zf.writestr(info, data)
        return buf.getvalue()

    link = zipfile.ZipInfo("link")
    link.external_attr = 0o120777 << 16
    bomb = zip_of([("bomba.bin", b"\0" * 200_000_000)])
    for data in (zip_of([(link, "/etc/passwd")]), zip_of([("../fora.txt", "x")]), bomb):
        with pytest.raises(ContextError) as excinfo:
            extract_zip(data, limits=lab.spec.limits)
        assert excinfo.value.message_id


def test_the_next_submission_still_grades(lab, sandbox_docker):
    report, submission = grade(lab, REFERENCE, **{".dockerignore": b".git\n"})
    assert report.status == "passed", [(c.id, c.message) for c in report.checks]
    assert leftovers(sandbox_docker, submission) == []
