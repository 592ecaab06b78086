from typing import Any

import pytest

from labs.grading.dockerfile import parse
from labs.grading.i18n import known, t
from labs.grading.rules import LESSON_SECTIONS, RULES

from .dockerfiles import APP_FILES, BEST, LESSON

LAB_PARAMS: dict[str, dict[str, Any]] = {"cmd-gunicorn": {"server": "gunicorn", "port": 5000}, "expose": {"port": 5000}}
RULE_IDS = {
    "slim-base",
    "workdir",
    "deps-before-code",
    "pip-no-cache-dir",
    "grouped-run",
    "json-cmd",
    "cmd-gunicorn",
    "expose",
    "non-root-user",
    "multi-stage",
    "no-secrets-in-env",
    "comments",
    "healthcheck",
    "no-latest-tag",
    "no-sudo",
    "apt-cleanup",
}


def check(rule_id: str, text: str, params: dict | None = None, files: dict | None = None):
    finding = RULES[rule_id](
        parse(text), APP_FILES if files is None else files, LAB_PARAMS.get(rule_id, {}) if params is None else params
    )
    # Every finding's message exists in both languages and takes the finding's params.
    assert known(finding.message_id)
    for lang in ("pt-BR", "en"):
        t(finding.message_id, lang, **finding.params)
    return finding


def df(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_every_rule_is_registered_with_a_lesson_section():
    assert set(RULES) == RULE_IDS
    assert set(LESSON_SECTIONS) == RULE_IDS


# The lesson's own Dockerfile follows what its first pages teach, not yet the later practices.
LESSON_FAILS = {"non-root-user", "multi-stage", "healthcheck"}


@pytest.mark.parametrize("rule_id", sorted(RULE_IDS))
def test_the_lesson_dockerfile(rule_id):
    assert check(rule_id, LESSON).passed is (rule_id not in LESSON_FAILS)


@pytest.mark.parametrize("rule_id", sorted(RULE_IDS))
def test_the_best_practice_dockerfile_passes_everything(rule_id):
    finding = check(rule_id, BEST)
    assert finding.passed, t(finding.message_id, "en", **finding.params)


# -- counter-examples, one or more per rule --------------------------------------------------


@pytest.mark.parametrize("image", ["python:3.11", "python:latest", "python", "python:slim", "ubuntu:22.04"])
def test_slim_base_fails(image):
    finding = check("slim-base", df("FROM python:3.11-slim AS b", f"FROM {image}", "CMD x"))
    assert not finding.passed and finding.line == 2 and finding.params["image"] == image


@pytest.mark.parametrize(
    "image", ["python:3.11-slim", "python:3.11-alpine3.19", "alpine:3.19", "python:3.9-slim-buster"]
)
def test_slim_base_passes(image):
    assert check("slim-base", df(f"FROM {image}")).passed


def test_slim_base_looks_through_a_stage_alias():
    assert check("slim-base", df("FROM python:3.11-slim AS base", "FROM base")).passed


def test_slim_base_messages_in_both_languages():
    finding = check("slim-base", df("FROM python:3.11"))
    assert t(finding.message_id, "pt-BR", **finding.params) == (
        "Use uma imagem base slim ou alpine com tag fixa (ex.: python:3.11-slim); encontrado: python:3.11."
    )
    assert t(finding.message_id, "en", **finding.params) == (
        "Use a slim or alpine base image with a pinned tag (e.g. python:3.11-slim); found: python:3.11."
    )


def test_workdir_fails_when_missing_or_after_the_copy():
    missing = check("workdir", df("FROM python:3.11-slim", "CMD x"))
    assert (missing.passed, missing.message_id) == (False, "rule.workdir.missing")
    late = check("workdir", df("FROM python:3.11-slim", "COPY . /app", "WORKDIR /app"))
    assert (late.passed, late.message_id, late.line) == (False, "rule.workdir.after-copy", 2)


def test_workdir_inherited_from_an_earlier_stage_counts():
    assert check("workdir", df("FROM python:3.11-slim AS base", "WORKDIR /app", "FROM base", "COPY . .")).passed


def test_deps_before_code_points_at_the_copy_of_the_code():
    finding = check(
        "deps-before-code",
        df("FROM python:3.11-slim", "WORKDIR /app", "COPY . .", "RUN pip install --no-cache-dir -r requirements.txt"),
    )
    assert (finding.passed, finding.message_id, finding.line) == (False, "rule.deps-before-code.code-first", 3)
    assert "COPY . ." in t(finding.message_id, "pt-BR", **finding.params)


def test_deps_before_code_treats_a_code_directory_as_a_broad_copy():
    files = {"Dockerfile": b"", "app/requirements.txt": b"", "app/main.py": b""}
    text = df("FROM python:3.11-slim", "COPY app/ /app/", "RUN pip install -r /app/requirements.txt")
    assert check("deps-before-code", text, files=files).line == 2


def test_deps_before_code_other_failures():
    no_install = check("deps-before-code", df("FROM python:3.11-slim", "COPY . ."))
    assert no_install.message_id == "rule.deps-before-code.no-install"
    not_copied = check(
        "deps-before-code", df("FROM python:3.11-slim", "RUN pip install -r requirements.txt", "COPY . .")
    )
    assert (not_copied.message_id, not_copied.line) == ("rule.deps-before-code.no-requirements-copy", 2)


def test_pip_no_cache_dir():
    finding = check(
        "pip-no-cache-dir", df("FROM python:3.11-slim", "RUN pip install --no-cache-dir -U pip && pip install -r r.txt")
    )
    assert (finding.passed, finding.line, finding.params["command"]) == (False, 2, "pip install -r r.txt")
    assert check(
        "pip-no-cache-dir", df("FROM python:3.11-slim", "ENV PIP_NO_CACHE_DIR=1", "RUN pip install flask")
    ).passed
    assert not check(
        "pip-no-cache-dir", df("FROM python:3.11-slim", "RUN pip install flask", "ENV PIP_NO_CACHE_DIR=1")
    ).passed
    assert not check(
        "pip-no-cache-dir", df("FROM python:3.11-slim", 'RUN ["python", "-m", "pip", "install", "flask"]')
    ).passed


def test_grouped_run_fails_on_consecutive_runs_and_asks_for_ampersands():
    finding = check(
        "grouped-run", df("FROM python:3.11-slim", "RUN apt-get update", "# comentário", "RUN apt-get install -y curl")
    )
    assert (finding.passed, finding.line, finding.params["previous"]) == (False, 4, 2)
    assert "&&" in t(finding.message_id, "pt-BR", **finding.params)


def test_grouped_run_with_a_maximum_per_stage():
    text = df("FROM python:3.11-slim", "RUN a", "COPY . .", "RUN b", "COPY x y", "RUN c")
    assert check("grouped-run", text).passed
    finding = check("grouped-run", text, params={"max_run": 2})
    assert (finding.passed, finding.message_id, finding.line) == (False, "rule.grouped-run.too-many", 6)


@pytest.mark.parametrize(
    "instruction, message_id",
    [
        ("CMD gunicorn --bind 0.0.0.0:5000 app:app", "rule.json-cmd.shell-form"),
        ("CMD ['gunicorn', 'app:app']", "rule.json-cmd.bad-json"),
        ("ENTRYPOINT python app.py", "rule.json-cmd.shell-form"),
        ("EXPOSE 5000", "rule.json-cmd.missing"),
    ],
)
def test_json_cmd_fails(instruction, message_id):
    finding = check("json-cmd", df("FROM python:3.11-slim", instruction))
    assert (finding.passed, finding.message_id) == (False, message_id)


@pytest.mark.parametrize(
    "cmd, message_id",
    [
        ('CMD ["python", "app.py"]', "rule.cmd-gunicorn.no-server"),
        ('CMD ["flask", "run", "--host", "0.0.0.0"]', "rule.cmd-gunicorn.no-server"),
        ('CMD ["gunicorn", "app:app"]', "rule.cmd-gunicorn.bad-bind"),
        ('CMD ["gunicorn", "--bind", "127.0.0.1:5000", "app:app"]', "rule.cmd-gunicorn.bad-bind"),
        ('CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]', "rule.cmd-gunicorn.bad-bind"),
    ],
)
def test_cmd_gunicorn_fails(cmd, message_id):
    finding = check("cmd-gunicorn", df("FROM python:3.11-slim", cmd))
    assert (finding.passed, finding.message_id, finding.line) == (False, message_id, 2)


@pytest.mark.parametrize(
    "lines",
    [
        ('CMD ["gunicorn", "-b", "0.0.0.0:5000", "app:app"]',),
        ('CMD ["gunicorn", "--bind=:5000", "app:app"]',),
        ("CMD gunicorn -b0.0.0.0:5000 app:app",),
        ('ENTRYPOINT ["python", "-m", "gunicorn"]', 'CMD ["--bind", "0.0.0.0:5000", "app:app"]'),
        ("ENV PORT=5000", 'CMD ["gunicorn", "--bind", "0.0.0.0:${PORT}", "app:app"]'),
        ("ENV PORT=5000", 'CMD ["gunicorn", "app:app"]'),  # gunicorn binds 0.0.0.0:$PORT by itself
    ],
)
def test_cmd_gunicorn_passes(lines):
    assert check("cmd-gunicorn", df("FROM python:3.11-slim", *lines)).passed


def test_cmd_gunicorn_with_another_server():
    text = df("FROM python:3.11-slim", 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]')
    assert check("cmd-gunicorn", text, params={"server": "uvicorn", "port": 8000}).passed


def test_expose():
    finding = check("expose", df("FROM python:3.11-slim", "EXPOSE 8000 5000/udp"))
    assert (finding.passed, finding.params["found"]) == (False, "8000, 5000/udp")
    assert check("expose", df("FROM python:3.11-slim", "EXPOSE 80 5000/tcp")).passed
    assert check("expose", df("FROM python:3.11-slim", "EXPOSE 4000-6000")).passed


@pytest.mark.parametrize(
    "lines, message_id",
    [
        (("CMD x",), "rule.non-root-user.missing"),
        (("USER root",), "rule.non-root-user.root"),
        (("USER 0:0",), "rule.non-root-user.root"),
        (("RUN useradd app", "USER app", "USER root"), "rule.non-root-user.root"),
        (("USER appuser",), "rule.non-root-user.not-created"),
        (
            ("RUN useradd -m appuser", "USER appuser", "RUN pip install --no-cache-dir flask"),
            "rule.non-root-user.before-installs",
        ),
    ],
)
def test_non_root_user_fails(lines, message_id):
    finding = check("non-root-user", df("FROM python:3.11-slim", *lines))
    assert (finding.passed, finding.message_id) == (False, message_id)


@pytest.mark.parametrize(
    "lines",
    [
        ("USER 10001",),
        ("RUN adduser -D app", "USER app:app"),
        ("USER nobody",),
        ("ARG U=app", "RUN useradd $U", "USER $U"),
    ],
)
def test_non_root_user_passes(lines):
    assert check("non-root-user", df("FROM python:3.11-slim", *lines)).passed


def test_multi_stage():
    single = check("multi-stage", df("FROM python:3.11-slim"))
    assert single.message_id == "rule.multi-stage.single"
    unused = check(
        "multi-stage", df("FROM python:3.11-slim AS builder", "RUN make", "FROM python:3.11-slim", "COPY . .")
    )
    assert (unused.passed, unused.message_id) == (False, "rule.multi-stage.no-copy-from")
    assert check(
        "multi-stage", df("FROM python:3.11-slim", "RUN make", "FROM python:3.11-slim", "COPY --from=0 /a /a")
    ).passed


@pytest.mark.parametrize(
    "line",
    [
        "ENV SECRET_KEY=abc123",
        "ENV DB_PASSWORD s3nh4",
        "ARG HF_TOKEN=hf_x",
        "ENV OPENAI_API_KEY=sk-1 A=b",
        "ENV AWS_SECRET_ACCESS_KEY=x",
    ],
)
def test_no_secrets_in_env_fails(line):
    finding = check("no-secrets-in-env", df("FROM python:3.11-slim", line))
    assert (finding.passed, finding.line) == (False, 2)


@pytest.mark.parametrize(
    "line",
    [
        "ARG HF_TOKEN",
        "ENV API_KEY=${API_KEY}",
        "ENV TOKENIZERS_PARALLELISM=false",
        "ENV MAX_TOKENS=512",
        "ENV PASSWORD_FILE=/run/secrets/db",
    ],
)
def test_no_secrets_in_env_passes(line):
    assert check("no-secrets-in-env", df("FROM python:3.11-slim", line)).passed


def test_comments():
    finding = check("comments", df("FROM python:3.11-slim", "RUN echo '# not a comment'"))
    assert (finding.passed, finding.params) == (False, {"found": 0, "min": 1})
    assert not check("comments", LESSON, params={"min": 20}).passed


def test_healthcheck():
    assert check("healthcheck", df("FROM python:3.11-slim")).message_id == "rule.healthcheck.missing"
    disabled = check("healthcheck", df("FROM python:3.11-slim", "HEALTHCHECK NONE"))
    assert (disabled.message_id, disabled.line) == ("rule.healthcheck.disabled", 2)


@pytest.mark.parametrize(
    "text", ["FROM python\n", "FROM python:latest\n", "FROM python:3.11-slim\nCOPY --from=busybox /bin/sh /sh\n"]
)
def test_no_latest_tag_fails(text):
    assert not check("no-latest-tag", text).passed


def test_no_latest_tag_accepts_stages_and_digests():
    assert check("no-latest-tag", df("FROM python:3.11-slim AS b", "FROM b", "COPY --from=b /a /a")).passed
    assert check("no-latest-tag", df("FROM python@sha256:" + "a" * 64)).passed


def test_no_sudo():
    finding = check("no-sudo", df("FROM python:3.11-slim", "RUN apt-get update && sudo apt-get install -y curl"))
    assert (finding.passed, finding.line) == (False, 2)
    assert check(
        "no-sudo",
        df(
            "FROM python:3.11-slim",
            "RUN apt-get install -y --no-install-recommends sudo && rm -rf /var/lib/apt/lists/*",
        ),
    ).passed


def test_apt_cleanup():
    no_cleanup = check(
        "apt-cleanup",
        df("FROM python:3.11-slim", "RUN apt-get update && apt-get install -y --no-install-recommends curl"),
    )
    assert (no_cleanup.message_id, no_cleanup.line) == ("rule.apt-cleanup.no-cleanup", 2)
    recommends = check(
        "apt-cleanup",
        df("FROM python:3.11-slim", "RUN apt-get update && apt-get -y install curl && rm -rf /var/lib/apt/lists/*"),
    )
    assert recommends.message_id == "rule.apt-cleanup.recommends"


def test_rules_survive_a_dockerfile_without_from():
    parsed = parse("# nada\n")
    for rule_id, rule in RULES.items():
        finding = rule(parsed, {}, {})
        assert known(finding.message_id), rule_id
