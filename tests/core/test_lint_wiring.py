"""scripts/test.sh (`make test`) runs the linters first and fails on them, tests or not.

The scripts run for real in a copy of the project whose set-up, services, pytest, ruff and
mypy are stand-ins that record their calls and exit as told; the order, the exit status and
the closing line are the scripts' own."""

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORD = 'echo "$(basename "$0") $*" >> "$CALLS"\n'
STUBS = {
    "scripts/setup.sh": "#!/bin/sh\nexit 0\n",
    "scripts/redis.sh": "#!/bin/sh\n" + RECORD + '[ "$1" = start ] && echo already-running\nexit 0\n',
    "scripts/postgres.sh": "#!/bin/sh\n" + RECORD + '[ "$1" = url ] && echo postgres://stand-in\nexit 0\n',
    "sandbox/start.sh": "#!/bin/sh\n" + RECORD + "echo already-running\n",
    "sandbox/stop.sh": "#!/bin/sh\nexit 0\n",
    # pytest's first pass exits $PYTEST_RC, the live stack's $LIVE_RC; the second selects
    # nothing (5), as a -k run does.
    ".venv/bin/python": "#!/bin/sh\n" + RECORD + 'case "$*" in\n'
    '  *"not postgres"*) exit "${PYTEST_RC:-0}" ;;\n  *test_live_stack*) exit "${LIVE_RC:-0}" ;;\n'
    "  *pytest*) exit 5 ;;\nesac\nexit 0\n",
    ".venv/bin/ruff": "#!/bin/sh\n" + RECORD + 'case "$1" in\n  check) exit "${RUFF_CHECK_RC:-0}" ;;\n'
    '  format) exit "${RUFF_FORMAT_RC:-0}" ;;\nesac\n',
    ".venv/bin/mypy": "#!/bin/sh\n" + RECORD + 'exit "${MYPY_RC:-0}"\n',
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "scripts").mkdir()
    for script in ("test.sh", "lint.sh"):
        shutil.copy(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    for name, text in STUBS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    return tmp_path


def make_test(project, *pytest_args, **rcs):
    calls = project / "calls"
    env = {**os.environ, "CALLS": str(calls), "ESTALEIRO_VAR_DIR": str(project / "var")}
    env.pop("ESTALEIRO_LINT_STRICT", None)
    env.update({name: str(value) for name, value in rcs.items()})
    result = subprocess.run(
        ["bash", "scripts/test.sh", *pytest_args], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    return result, calls.read_text().splitlines()


def test_the_linters_run_before_the_services_and_pass_quietly(project):
    result, calls = make_test(project, "-k", "quiz")
    assert result.returncode == 0, result.stdout + result.stderr
    names = [call.split()[0] for call in calls]
    assert names[:3] == ["ruff", "ruff", "mypy"], calls
    assert calls[0].startswith("ruff check") and calls[1].startswith("ruff format --check"), calls
    assert names.index("mypy") < names.index("redis.sh")
    # The pytest arguments go to both passes, and the empty second pass is no failure.
    assert [c for c in calls if c.startswith("python -m pytest")] == [
        "python -m pytest -m not postgres -k quiz",
        "python -m pytest -m postgres -k quiz",
    ]
    assert "LINT FAILED" not in result.stdout


@pytest.mark.parametrize(
    ("rcs", "named"),
    [
        ({"RUFF_CHECK_RC": 1}, "ruff check"),
        ({"RUFF_FORMAT_RC": 1}, "ruff format --check"),
        ({"MYPY_RC": 1}, "mypy"),
        ({"RUFF_CHECK_RC": 1, "MYPY_RC": 2}, "ruff check, mypy"),
    ],
)
def test_a_linter_failure_fails_the_run_after_every_linter_and_the_tests_ran(project, rcs, named):
    result, calls = make_test(project, **rcs)
    assert result.returncode == 1, result.stdout + result.stderr
    assert [call.split()[0] for call in calls[:3]] == ["ruff", "ruff", "mypy"], calls
    assert any("not postgres" in call for call in calls), "the tests did not run"
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("make test: LINT FAILED: " + named + " "), last


LIVE = [
    "tests/deploy/test_grading_hosts_live.py",
    "tests/deploy/test_live_stack.py",
    "tests/deploy/test_upgrade_live.py",
]


def test_a_whole_run_runs_the_live_stack_beside_the_first_pass(project):
    result, calls = make_test(project)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [c for c in calls if c.startswith("python -m pytest")]
    assert "python -m pytest -p no:cacheprovider " + " ".join(LIVE) in runs, runs
    first = next(c for c in runs if "not postgres" in c)
    assert first == "python -m pytest -m not postgres " + " ".join(f"--ignore {m}" for m in LIVE), first
    assert "the live Compose stack" in result.stdout


def test_a_live_stack_failure_fails_the_run(project):
    result, _ = make_test(project, LIVE_RC=1)
    assert result.returncode == 1, result.stdout + result.stderr


def test_a_test_failure_keeps_its_own_status(project):
    result, _ = make_test(project, PYTEST_RC=2, MYPY_RC=1)
    assert result.returncode == 2
    assert "LINT FAILED: mypy" in result.stdout.strip().splitlines()[-1]


def test_strict_off_reports_the_linters_without_failing(project):
    result, _ = make_test(project, MYPY_RC=1, ESTALEIRO_LINT_STRICT=0)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LINT FAILED: mypy" in result.stdout
    assert "ESTALEIRO_LINT_STRICT=0" in result.stdout


def test_the_engine_and_the_sandbox_are_typed_strictly():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    [strict] = [o for o in config["overrides"] if o.get("disallow_untyped_defs")]
    for module in ("labs.grading.*", "labs.sandbox.*", "common.*"):
        assert module in strict["module"]
    for flag in ("disallow_incomplete_defs", "disallow_untyped_calls", "disallow_any_generics", "warn_return_any"):
        assert strict[flag] is True, flag
    assert config["check_untyped_defs"] is True


def test_the_linters_are_pinned():
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for tool in ("ruff", "mypy", "django-stubs"):
        assert tool in pins, f"{tool} is not pinned in requirements-dev.txt"
