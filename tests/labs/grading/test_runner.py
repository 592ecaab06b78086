"""The runner against a fake sandbox: scoring, verdicts, messages, cleanup."""

import json
from dataclasses import replace

import pytest

from labs.content import find_lab, read_tree, submission_files
from labs.grading.report import Verdict
from labs.grading.runner import grade, reject
from labs.grading.types import BuildOutcome, ExecOutcome, Finding, HttpOutcome
from labs.selftest import with_values

from .fakes import FakeContainer, FakeSandbox

PREDICTION = HttpOutcome(
    status=200, body=json.dumps({"classe": 0, "especie": "setosa", "probabilidades": [0.98, 0.02, 0.0]})
)


# The lab's parameters as the lesson writes them (its first sample draw), which the fake
# sandbox's image and answers follow.
LESSON_VALUES = {"port": 5000, "user": "appuser"}


@pytest.fixture
def ml_lab():
    lab = find_lab("api-modelo-ml")
    return replace(lab, spec=lab.spec.resolve(LESSON_VALUES))


def reference_files(lab):
    return submission_files(lab, with_values(read_tree(lab.reference_dir), lab.spec.values, lab.reference_dir))


def healthy_sandbox():
    return FakeSandbox(container=FakeContainer(http_answers={("POST", 5000, "/predict"): PREDICTION}))


def test_reference_earns_full_marks_and_cleans_up(ml_lab):
    sandbox = healthy_sandbox()
    phases: list[str] = []
    result = grade(
        spec=ml_lab.spec,
        files=reference_files(ml_lab),
        sandbox=sandbox,
        submission_id="s1",
        on_phase=phases.append,
        run_token="t0k3n",
    )
    report = result.report
    assert report.status == Verdict.PASSED, [(c.id, c.message) for c in report.checks if c.status != "passed"]
    assert report.score == report.max_score == ml_lab.spec.max_score
    assert {"gate", "lint", "build", "run", "checks", "cleanup", "total"} <= set(report.timings)
    assert phases[:1] == ["gate"] and "building" in phases and "running" in phases and "checking" in phases
    assert sandbox.container.removed
    assert sandbox.removed_images == ["estaleiro-sub/s1-t0k3n:latest"]
    # The image is known by its tag (no LABEL step to build; the run token makes it
    # unguessable and the run's own); the containers by their labels.
    assert sandbox.builds[0][0] == "estaleiro-sub/s1-t0k3n:latest" and sandbox.builds[0][2] == {}
    assert sandbox.started_labels["estaleiro.submission"] == "s1"
    assert sandbox.started_labels["estaleiro.run"] == "t0k3n"
    # One budget for the whole grading, opened with the lab's limits and bases, then closed.
    assert [(limits, bases) for limits, _, bases in sandbox.begun] == [(ml_lab.spec.limits, ml_lab.spec.bases)]
    assert sandbox.ended == 1
    data = report.to_dict()
    assert data["schema"] == 2 and data["gradable"] is True and data["status"] == "passed"
    assert all(
        set(check) >= {"id", "status", "points", "max_points", "message", "hint", "lesson_section", "line", "output"}
        for check in data["checks"]
    )
    json.dumps(data)  # serialisable as is


def test_build_failure_points_at_the_step_and_skips_the_rest(ml_lab):
    files = reference_files(ml_lab)
    sandbox = healthy_sandbox()
    sandbox.build_outcome = BuildOutcome(
        ok=False,
        log="Step 5/11 : RUN pip install ...\nERROR: No matching distribution\n",
        failing_step="Step 5/11 : RUN pip install --no-cache-dir -r requirements.txt",
        error_id="build.failed",
        error_params={"step": "x", "reason": ""},
    )
    report = grade(spec=ml_lab.spec, files=files, sandbox=sandbox).report
    assert report.status == Verdict.FAILED
    build = next(c for c in report.checks if c.id == "build")
    assert build.status == "failed" and "Step 5/11" in build.message
    assert build.line is not None
    assert "No matching distribution" in build.output
    assert build.hint  # hints are shown for what failed
    assert {c.status for c in report.checks if c.kind in {"http", "metadata", "image_size"}} == {"skipped"}
    assert "obrigatória" in report.summary
    # Nothing of a failed build stays: its own layers are discarded (not its cache hits).
    assert sandbox.discarded == [sandbox.build_outcome] and not sandbox.removed_images
    assert sandbox.ended == 1


def test_platform_fault_is_an_error_not_a_failure(ml_lab):
    sandbox = healthy_sandbox()
    sandbox.fault_on_build = True
    report = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox).report
    assert report.status == Verdict.ERROR
    assert not report.gradable
    assert report.checks == [] and report.score == 0
    assert "não é culpa sua" in report.summary


def test_gate_rejects_before_building(ml_lab):
    files = reference_files(ml_lab) | {"Dockerfile": b'FROM ubuntu:22.04\nCMD ["true"]\n'}
    sandbox = healthy_sandbox()
    report = grade(spec=ml_lab.spec, files=files, sandbox=sandbox).report
    assert report.status == Verdict.REJECTED
    assert sandbox.builds == []
    assert "ubuntu:22.04" in report.rejections[0]["message"]
    assert "não conta como tentativa" in report.summary


def test_missing_dockerfile_is_rejected(ml_lab):
    report = grade(spec=ml_lab.spec, files={"app.py": b""}, sandbox=healthy_sandbox()).report
    assert report.status == Verdict.REJECTED
    assert "Dockerfile" in report.rejections[0]["message"]


def test_upload_refused_before_grading_is_a_rejected_report(ml_lab):
    """reject(): the reasons in the learner's language, nothing graded, no log."""
    findings = [Finding(False, "context.parent_ref", {"path": "../x"})]
    result = reject(spec=ml_lab.spec, lang="en-US", findings=findings)
    report = result.report
    assert (report.status, report.lang, report.lab, report.score) == (Verdict.REJECTED, "en", ml_lab.spec.slug, 0)
    assert report.max_score == ml_lab.spec.max_score and report.checks == [] and result.log == ""
    message = "The path '../x' uses '..' to leave the build context, which is not allowed."
    assert report.rejections == [
        {"message": message, "line": None, "id": "context.parent_ref", "params": {"path": "../x"}}
    ]
    assert report.summary == f"Submission refused before the build (not counted as an attempt): {message}"
    assert report.to_dict()["gradable"] is False


def test_app_that_exits_shows_its_logs(ml_lab):
    sandbox = FakeSandbox(
        container=FakeContainer(running=False, container_logs="ModuleNotFoundError: No module named 'flask'\n")
    )
    report = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox).report
    predict = next(c for c in report.checks if c.id == "predict")
    assert predict.status == "failed"
    assert "parou logo após iniciar" in predict.message
    assert "No module named 'flask'" in predict.message


def test_wrong_json_names_the_key(ml_lab):
    answer = HttpOutcome(status=200, body=json.dumps({"classe": 1, "especie": "versicolor", "probabilidades": []}))
    sandbox = FakeSandbox(container=FakeContainer(http_answers={("POST", 5000, "/predict"): answer}))
    report = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox, lang="en").report
    predict = next(c for c in report.checks if c.id == "predict")
    assert predict.status == "failed"
    assert predict.message == 'In the answer of /predict, \'especie\' is "versicolor", expected "setosa".'
    assert report.lang == "en" and report.summary.startswith("Not yet")


def test_post_body_is_sent_as_json(ml_lab):
    sandbox = healthy_sandbox()
    grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox)
    method, port, path, body, headers = sandbox.container.requests[-1]
    assert (method, port, path) == ("POST", 5000, "/predict")
    assert json.loads(body) == {"features": [5.1, 3.5, 1.4, 0.2]}
    assert headers["Content-Type"] == "application/json"


def test_root_image_and_big_image_lose_points_but_can_still_pass(ml_lab):
    sandbox = healthy_sandbox()
    sandbox.facts = replace(sandbox.facts, user="", size_bytes=900_000_000)
    report = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox).report
    failed = {c.id for c in report.checks if c.status == "failed"}
    assert failed == {"image-user", "image-size"}
    assert report.status == Verdict.PASSED and report.score == report.max_score - 8
    size = next(c for c in report.checks if c.id == "image-size")
    assert "700.0 MB" in size.message


def test_size_is_compared_with_the_starter_and_bonus_is_capped():
    lab = find_lab("otimizar-imagem")
    container = FakeContainer(
        http_answers={("GET", 5000, "/"): HttpOutcome(status=200, body='{"media_sepala": {}}')},
        exec_results={("python", "-c", "import pytest"): ExecOutcome(exit_code=1, output="ModuleNotFoundError")},
    )
    sandbox = FakeSandbox(container=container, starter_size=500_000_000)
    sandbox.facts = replace(sandbox.facts, size_bytes=200_000_000)
    report = grade(
        spec=lab.spec,
        files=submission_files(lab, read_tree(lab.reference_dir)),
        sandbox=sandbox,
        starter_files=read_tree(lab.starter_dir),
    ).report
    size = next(c for c in report.checks if c.id == "size")
    assert size.status == "passed" and "40%" in size.message
    assert any("starter" in tag for tag, _, _ in sandbox.builds)
    assert report.score == report.max_score  # the bonus cannot exceed the maximum
    assert next(c for c in report.checks if c.id == "multi-stage").bonus


def test_a_build_the_daemon_side_guard_stopped_is_rejected_not_counted(ml_lab):
    """The gate misread it, the daemon's own report did not: refused like the gate's
    rejections, the log kept only up to the refused step, its layers discarded."""
    from labs.sandbox import build  # noqa: F401 - registers the sandbox's messages

    sandbox = healthy_sandbox()
    sandbox.build_outcome = BuildOutcome(
        ok=False,
        rejected=True,
        log="Step 1/3 : FROM estaleiro-sub/sub-7-x\n",
        error_id="sandbox.build_image_not_allowed",
        error_params={"step": "Step 1/3 : FROM estaleiro-sub/sub-7-x", "allowed": "python:3.11-slim"},
        created_images=("0123456789ab",),
    )
    result = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox, lang="en")
    assert result.report.status == Verdict.REJECTED and not result.report.gradable
    assert "FROM estaleiro-sub/sub-7-x" in result.report.rejections[0]["message"]
    assert result.log == "Step 1/3 : FROM estaleiro-sub/sub-7-x\n"
    assert sandbox.discarded == [sandbox.build_outcome] and sandbox.ended == 1


def test_an_image_the_sandbox_will_not_run_fails_the_container_checks(ml_lab):
    from labs.grading.ports import ContainerRefused
    from labs.sandbox import run  # noqa: F401 - registers the sandbox's messages

    sandbox = healthy_sandbox()

    def refuse(**_kwargs):
        raise ContainerRefused("sandbox.too_many_volumes", count=40, max=16)

    sandbox.start = refuse
    report = grade(spec=ml_lab.spec, files=reference_files(ml_lab), sandbox=sandbox, lang="en").report
    http = [c for c in report.checks if c.kind == "http"]
    assert http and all(c.status == "failed" and "40 volumes" in c.message for c in http)
    assert report.status == Verdict.FAILED and report.gradable
