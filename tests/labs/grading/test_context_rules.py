import pytest

from labs.grading.context_rules import (
    CONTEXT_RULES,
    DEFAULT_MUST_EXCLUDE,
    dockerignore,
    is_excluded,
    parse_dockerignore,
)
from labs.grading.i18n import t

COMPLETE = b"# o que nao vai para a imagem\n.git\n__pycache__\n*.pyc\n.venv\n.env\n"


def test_registered():
    assert CONTEXT_RULES == {"dockerignore": dockerignore}


def test_a_missing_dockerignore_fails():
    finding = dockerignore({"Dockerfile": b"FROM python:3.11-slim\n"}, {})
    assert (finding.passed, finding.message_id) == (False, "context.dockerignore.missing")
    assert ".dockerignore" in t(finding.message_id, "pt-BR", **finding.params)


def test_a_complete_dockerignore_passes_with_the_default_list():
    finding = dockerignore({".dockerignore": COMPLETE}, {})
    assert finding.passed
    assert finding.params["required"] == ", ".join(DEFAULT_MUST_EXCLUDE)


@pytest.mark.parametrize(
    "content",
    [
        b"**/.git/\n**/__pycache__/\n**/*.pyc\n/.venv/\n.env*\n",
        b"*\n!app.py\n!requirements.txt\n",
        b".git\n__pycache__/\n*.py[co]\n.venv\n*.env\n",
    ],
)
def test_other_ways_of_writing_the_same_exclusions_pass(content):
    assert dockerignore({"./.dockerignore": content}, {}).passed


def test_the_failure_lists_what_is_missing_in_both_languages():
    finding = dockerignore({".dockerignore": b".git\n# .venv\n.env\n"}, {})
    assert (finding.passed, finding.params["missing"]) == (False, "__pycache__, *.pyc, .venv")
    assert (
        t(finding.message_id, "pt-BR", **finding.params)
        == "O .dockerignore não exclui: __pycache__, *.pyc, .venv. Adicione uma linha para cada um."
    )
    assert (
        t(finding.message_id, "en", **finding.params)
        == "The .dockerignore does not exclude: __pycache__, *.pyc, .venv. Add one line for each."
    )


def test_a_later_negation_re_includes():
    finding = dockerignore({".dockerignore": COMPLETE + b"!.env\n"}, {})
    assert finding.params["missing"] == ".env"


def test_the_list_comes_from_the_lab():
    assert dockerignore({".dockerignore": b"dados/\n"}, {"must_exclude": ["dados/"]}).passed
    assert not dockerignore({".dockerignore": b"dados/\n"}, {"must_exclude": ["dados/", "tests"]}).passed


def test_docker_matching_semantics():
    patterns = parse_dockerignore("build/\n**/*.log\n!keep/important.log\n/tmp\ndocs/*.md\n")
    assert is_excluded("build/out/app.bin", patterns)  # a directory takes its contents along
    assert is_excluded("a/b/c.log", patterns) and is_excluded("c.log", patterns)
    assert not is_excluded("keep/important.log", patterns)
    assert is_excluded("tmp/x", patterns) and not is_excluded("src/tmp/x", patterns)
    assert is_excluded("docs/a.md", patterns) and not is_excluded("docs/sub/a.md", patterns)
    assert not is_excluded("buildx", patterns)


def test_odd_lines_do_not_crash():
    patterns = parse_dockerignore("[\n[]\n[a-\n\\\n!\n/\n.\n**\n")
    is_excluded("anything/here", patterns)
