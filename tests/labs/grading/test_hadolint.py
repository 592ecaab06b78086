import os
import stat

import pytest

from labs.grading import hadolint
from labs.grading.hadolint import HadolintUnavailable, hadolint_path, run_hadolint
from labs.grading.i18n import t

from .dockerfiles import BEST, LESSON

LAB_RULES = ["DL3006", "DL3007", "DL3025", "DL3042", "DL3059"]
LATEST_WITH_PRAGMA = '# hadolint ignore=DL3007\nFROM python:latest\n# comentário em português: ção\nCMD ["python"]\n'


def by_code(findings):
    return {f.params["code"]: f for f in findings}


def test_the_binary_is_found_next_to_the_interpreter():
    path = hadolint_path()
    assert path is not None and os.access(path, os.X_OK)


def test_one_finding_per_selected_rule_in_order():
    findings = run_hadolint(LESSON, rules=LAB_RULES)
    assert [f.params["code"] for f in findings] == LAB_RULES
    assert all(f.passed and f.message_id == "hadolint.passed" for f in findings)
    assert all(f.passed for f in run_hadolint(BEST, rules=LAB_RULES))


def test_failures_carry_the_line_and_hadolints_message():
    text = "FROM python:3.11-slim\nRUN pip install flask\nRUN echo hi\nCMD python app.py\n"
    findings = by_code(run_hadolint(text, rules=["DL3042", "DL3059", "DL3025", "DL3007"]))
    assert findings["DL3007"].passed
    for code, line in [("DL3042", 2), ("DL3059", 3), ("DL3025", 4)]:
        finding = findings[code]
        assert (finding.passed, finding.message_id, finding.line) == (False, "hadolint.failed", line)
        assert finding.output.startswith(f"{line}: {code} ") and finding.params["message"] in finding.output
    message = t("hadolint.failed", "pt-BR", **findings["DL3042"].params)
    assert message.startswith("Linha 2: o hadolint aponta DL3042: Avoid use of cache directory with pip")


def test_an_inline_ignore_pragma_does_not_hide_dl3007():
    finding = run_hadolint(LATEST_WITH_PRAGMA, rules=["DL3007"])[0]
    assert (finding.passed, finding.line) == (False, 2)


def test_the_workers_environment_and_config_files_do_not_hide_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("HADOLINT_IGNORE", "DL3007")
    monkeypatch.setenv("HADOLINT_FAILURE_THRESHOLD", "error")
    (tmp_path / ".hadolint.yaml").write_text("ignored:\n  - DL3007\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "hadolint.yaml").write_text("ignored:\n  - DL3007\n")
    assert not run_hadolint(LATEST_WITH_PRAGMA, rules=["DL3007"])[0].passed


def test_a_file_hadolint_cannot_parse_fails_each_rule_plainly():
    finding = run_hadolint("FROM\n", rules=["DL3007"])[0]
    assert (finding.passed, finding.message_id) == (False, "hadolint.unparsable")
    assert "DL3007" in t(finding.message_id, "en", **finding.params)


def test_unknown_rule_codes_are_a_spec_error():
    with pytest.raises(ValueError):
        run_hadolint(LESSON, rules=["DL3007", "rm -rf"])


def test_a_missing_binary_is_a_platform_fault(monkeypatch):
    monkeypatch.setattr(hadolint, "hadolint_path", lambda: None)
    with pytest.raises(HadolintUnavailable):
        run_hadolint(LESSON, rules=["DL3007"])


def fake_binary(tmp_path, script: str) -> str:
    path = tmp_path / "hadolint"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("script", ["echo 'segfault' >&2; exit 139", "echo 'not json'", "exec sleep 5"])
def test_a_crashing_or_hanging_binary_is_a_platform_fault(monkeypatch, tmp_path, script):
    monkeypatch.setattr(hadolint, "hadolint_path", lambda: fake_binary(tmp_path, script))
    with pytest.raises(HadolintUnavailable):
        run_hadolint(LESSON, rules=["DL3007"], timeout=1)


def test_a_passed_hadolint_check_names_every_rule_that_ran():
    from labs.grading.checks import HadolintCheck, run_hadolint_check
    from labs.grading.kinds import Grading
    from labs.grading.types import CheckStatus

    check = HadolintCheck(id="hadolint", kind="hadolint", title="hadolint", points=1, rules=LAB_RULES)
    for lang, expected in [
        ("pt-BR", "O hadolint não encontrou problemas nas regras verificadas: DL3006, DL3007, DL3025, DL3042, DL3059."),
        ("en", "hadolint found no problem for the rules checked: DL3006, DL3007, DL3025, DL3042, DL3059."),
    ]:
        grading = Grading(spec=None, files={}, dockerfile=LESSON, parsed=None, lang=lang, sandbox=None)  # type: ignore[arg-type]
        outcome = run_hadolint_check(check, grading)
        assert (outcome.status, outcome.message.render(lang)) == (CheckStatus.PASSED, expected)
