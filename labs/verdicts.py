"""A stored report as its reader reads it: every text in the reader's language.

A report is graded in the learner's language, but the learner may switch languages and an
instructor may read another one. Messages are stored as data (labs/grading/text.py) and
rendered here, at view time; check titles and hints come from the lab version the
submission was graded against. Reports stored before messages were data (schema 1) are
read back through the catalogue's templates; a text no template matches is shown as stored.
"""

import logging
from dataclasses import replace
from typing import Any

from classes.models import Offering

from .grading.spec import LabSpec, ParametersUnresolved, localize
from .grading.text import recover, recover_joined, render
from .models import Submission
from .selectors import CheckStat, LabVersionMissing, lab_check_stats, lab_spec_or_none, submission_lab_version

log = logging.getLogger(__name__)


def submission_report_for_reader(*, submission: Submission, lang: str) -> dict[str, Any]:
    """The submission's report with its texts in `lang` ({} when there is none)."""
    report = submission.report or {}
    if not report:
        return {}
    try:
        spec: LabSpec | None = submission_lab_version(submission=submission).spec
    except LabVersionMissing:
        spec = None
    if spec is not None and spec.parameterized:
        # Titles and hints with the values the checks used (the labels, if they do not fit).
        try:
            spec = spec.resolve(submission.parameters)
        except ParametersUnresolved:
            pass
    return report_for_reader(report, lang=lang, spec=spec)


def report_for_reader(report: dict[str, Any], *, lang: str, spec: LabSpec | None) -> dict[str, Any]:
    """A copy of `report` (as stored) whose summary, rejections, check titles, messages and
    hints read in `lang`. Learners' data in the parameters stays as it is; the page escapes it."""
    stored_lang = report.get("lang")
    spec_checks = {check.id: check for check in spec.checks} if spec else {}
    out = dict(report)

    summary = report.get("summary_data") or _recovered(report.get("summary", ""), stored_lang)
    if summary is not None and summary.get("id") == "summary.failed_required" and spec:
        summary = _with_title(summary, spec, stored_lang)
    out["summary"] = _render(summary, lang, report.get("summary", ""))

    out["rejections"] = [_rejection(rejection, lang, stored_lang) for rejection in report.get("rejections") or []]

    checks = []
    for stored in report.get("checks") or []:
        check = dict(stored)
        spec_check = spec_checks.get(check.get("id", ""))
        if spec_check is not None:
            check["title"] = localize(spec_check.title, lang) or check.get("title", "")
            # The hint as the spec words it, when the stored one is the spec's (in the
            # learner's language; it is stored only when the check did not pass).
            if check.get("hint") and check["hint"] == localize(spec_check.hint, stored_lang):
                check["hint"] = localize(spec_check.hint, lang)
        data = check.get("message_data")
        if data is None and report.get("schema", 1) < 2:
            data = recover_joined(check.get("message", ""), stored_lang)
        check["message"] = _render(data, lang, check.get("message", ""))
        checks.append(check)
    out["checks"] = checks
    return out


def _rejection(stored: dict[str, Any], lang: str, stored_lang: str | None) -> dict[str, Any]:
    rejection = dict(stored)
    if "params" in stored:
        data: dict[str, Any] | None = {"id": stored.get("id", ""), "params": stored["params"]}
    else:  # schema 1: the id without its parameters
        data = recover(stored.get("message", ""), stored_lang)
        if data is not None and stored.get("id") and data["id"] != stored["id"]:
            data = None
    rejection["message"] = _render(data, lang, stored.get("message", ""))
    return rejection


def _recovered(text: str, stored_lang: str | None) -> dict[str, Any] | None:
    return recover(text, stored_lang) if text else None


def _with_title(summary: dict[str, Any], spec: LabSpec, stored_lang: str | None) -> dict[str, Any]:
    """A schema-1 summary names the required check by its title in the learner's language:
    the spec's check of that title gives it in both."""
    title = summary.get("params", {}).get("check")
    if not isinstance(title, str):
        return summary
    for check in spec.checks:
        if title in (localize(check.title, "pt-BR"), localize(check.title, "en")):
            if isinstance(check.title, str):
                return summary
            return {"id": summary["id"], "params": {**summary["params"], "check": {"text": dict(check.title)}}}
    return summary


def _render(data: dict[str, Any] | None, lang: str, stored: str) -> str:
    """`data` in `lang`; the stored text when there is no data or it no longer renders (a
    message the catalogue has since dropped or changed)."""
    if data is None:
        return stored
    try:
        return render(data, lang)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("a stored report message does not render (%s); shown as stored", exc)
        return stored


def check_stats_for_reader(*, offering: Offering, lang: str) -> list[CheckStat]:
    """The lab's per-check pass rates in one class, each check named in `lang` by the lab's
    current spec (the stored title, in the learner's language, for a check the spec no
    longer has)."""
    spec = lab_spec_or_none(lab=offering.lab)  # type: ignore[arg-type]
    titles = {check.id: localize(check.title, lang) for check in spec.checks} if spec else {}
    return [replace(stat, title=titles.get(stat.id) or stat.title) for stat in lab_check_stats(offering=offering)]
