"""Self-test of the lab content: every reference solution earns full marks and every
known-bad submission fails on exactly the checks it was written to fail.

A lab with parameters has its reference graded with each of its sample draws (every
parameter at its first value, its last and its middle one): the reference's files may use
the same `{{ param.NAME }}` placeholders, replaced by each draw's values. A bad case is
graded with the first draw, or with the `parameters:` its expected.yaml gives (a case
written with another learner's values)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .content import LabContent, read_tree
from .grading.parameters import placeholder_problems, sample_draws, substitute_text
from .grading.report import Report, Verdict
from .grading_service import grade_files

REQUIRED_BASE = "python:3.11-slim"
EXPECTATIONS_FILE = "expected.yaml"
# status: the verdict; not_passed: exactly the checks that must not pass; rejection_contains
# / message_contains: text the rejection / a failed check's message must mention.
# parameters: the values to grade the case with (a parameterized lab; default: its first draw).
EXPECTATION_KEYS = {"status", "not_passed", "rejection_contains", "message_contains", "parameters"}


@dataclass
class CaseResult:
    lab: str
    case: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    report: Report | None = None

    @property
    def seconds(self) -> float:
        return self.report.timings.get("total", 0.0) if self.report else 0.0


def _expectations(case_dir: Path) -> dict:
    path = case_dir / EXPECTATIONS_FILE
    if not path.exists():
        raise ValueError(f"{case_dir}: missing {EXPECTATIONS_FILE} (status and not_passed)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping (status, not_passed, ...)")
    unknown = sorted(set(data) - EXPECTATION_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(EXPECTATION_KEYS))}")
    if data.get("status") not in {"passed", "failed", "rejected"}:
        raise ValueError(f"{path}: status must be passed, failed or rejected (the verdict the case earns)")
    if data["status"] != "rejected" and not data.get("not_passed"):
        raise ValueError(f"{path}: a known-bad case lists the checks it must not pass (not_passed)")
    return data


def with_values(files: Mapping[str, bytes], values: Mapping[str, Any] | None, where: Path) -> dict[str, bytes]:
    """A case's files with its placeholders replaced by `values` (text files only)."""
    if not values:
        return dict(files)
    out = {}
    for path, data in files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            out[path] = data
            continue
        problems = placeholder_problems(text, f"{where}/{path}", set(values))
        if problems:
            raise ValueError("; ".join(problems))
        out[path] = substitute_text(text, lambda name: str(values[name])).encode("utf-8")
    return out


def _draws(lab: LabContent) -> list[dict[str, Any] | None]:
    return list(sample_draws(lab.spec.parameters)) if lab.spec.parameterized else [None]


def _named(case: str, values: Mapping[str, Any] | None) -> str:
    return f"{case}[{','.join(f'{k}={v}' for k, v in values.items())}]" if values else case


def check_reference(lab: LabContent, values: Mapping[str, Any] | None = None) -> CaseResult:
    result = CaseResult(lab=lab.spec.slug, case=_named("reference", values), ok=True)
    if REQUIRED_BASE not in lab.spec.bases:
        result.problems.append(f"the lab must allow {REQUIRED_BASE}")
    report = grade_files(
        lab=lab,
        given=with_values(read_tree(lab.reference_dir), values, lab.reference_dir),
        submission_id=f"selftest-{lab.spec.slug}-ref",
        parameters=values,
    ).report
    result.report = report
    if report.status != Verdict.PASSED or report.score != report.max_score:
        failing = [f"{c.id}: {c.message}" for c in report.checks if c.status != "passed" and not c.bonus]
        result.problems.append(
            f"reference got {report.status} {report.score}/{report.max_score}: {failing or report.rejections or report.error}"
        )
    result.ok = not result.problems
    return result


def check_bad_case(lab: LabContent, case_dir: Path) -> CaseResult:
    expected = _expectations(case_dir)
    values = expected.get("parameters") or _draws(lab)[0]
    result = CaseResult(lab=lab.spec.slug, case=_named(case_dir.name, values), ok=True)
    given = {path: data for path, data in read_tree(case_dir).items() if path != EXPECTATIONS_FILE}
    report = grade_files(
        lab=lab,
        given=with_values(given, values, case_dir),
        submission_id=f"selftest-{lab.spec.slug}-{case_dir.name}",
        parameters=values,
    ).report
    result.report = report
    if str(report.status) != expected["status"]:
        result.problems.append(f"expected {expected['status']}, got {report.status} ({report.summary} {report.error})")
    if expected["status"] != "rejected":
        not_passed = {c.id for c in report.checks if c.status != "passed" and not c.bonus}
        wanted = set(expected.get("not_passed", []))
        if not_passed != wanted:
            unexpected = sorted(not_passed - wanted)
            missed = sorted(wanted - not_passed)
            details = {c.id: c.message for c in report.checks if c.id in unexpected}
            result.problems.append(
                f"checks not passed differ: unexpected {unexpected} {details}, expected but passed {missed}"
            )
        if expected.get("message_contains"):
            messages = " ".join(c.message for c in report.checks if c.status != "passed")
            if expected["message_contains"] not in messages:
                result.problems.append(f"a failed check should mention {expected['message_contains']!r}: {messages}")
    elif expected.get("rejection_contains"):
        text = " ".join(r["message"] for r in report.rejections)
        if expected["rejection_contains"] not in text:
            result.problems.append(f"rejection should mention {expected['rejection_contains']!r}: {text}")
    result.ok = not result.problems
    return result


def selftest_lab(lab: LabContent) -> list[CaseResult]:
    return [
        *(check_reference(lab, values) for values in _draws(lab)),
        *(check_bad_case(lab, case) for case in lab.bad_cases()),
    ]
