import json
import sys
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labs.content import find_lab, read_tree
from labs.grading.parameters import sample_draws
from labs.grading.report import Verdict
from labs.grading.spec import ParametersUnresolved, SpecError
from labs.grading_service import grade_files
from labs.sandbox.client import SandboxUnavailable
from labs.sandbox.context import ContextError, extract_zip
from labs.selftest import with_values


class Command(BaseCommand):
    help = (
        "Grade a directory, a zip or a lone Dockerfile against a lab, without the web or Celery. "
        "Exit status 0 when graded (whatever the verdict), 1 when the platform failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("lab_slug")
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--lang", default="pt-BR", help="pt-BR (default) or en")
        parser.add_argument("--log", action="store_true", help="also print the build log")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a value of the lab's parameters (default: each one's first value); "
            "{{ param.NAME }} in the files sent is replaced by it too",
        )

    def handle(self, *args, lab_slug, path: Path, json: bool, lang: str, log: bool, param: list[str], **options):
        try:
            lab = find_lab(lab_slug)
        except (LookupError, SpecError) as exc:
            raise CommandError(str(exc)) from exc
        values = self.parameter_values(lab.spec, param)
        try:
            given = with_values(self.read_submission(path, lab), values, path)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = grade_files(
                lab=lab,
                given=given,
                lang=lang,
                submission_id=f"cli-{uuid.uuid4().hex[:12]}",
                on_log=_to_stderr if log and not json else None,
                parameters=values,
            )
        except SandboxUnavailable as exc:
            raise CommandError(f"{exc}. Start it with: sudo sandbox/start.sh") from exc
        except ParametersUnresolved as exc:
            raise CommandError(str(exc)) from exc
        report = result.report
        if json:
            self.stdout.write(_json_dumps(report.to_dict()))
        else:
            self.print_human(report)
        if report.status == Verdict.ERROR:
            sys.exit(1)

    def parameter_values(self, spec, given: list[str]) -> dict | None:
        if not spec.parameterized:
            if given:
                raise CommandError(f"lab {spec.slug} has no parameters")
            return None
        values = dict(sample_draws(spec.parameters)[0])
        declared = {p.name for p in spec.parameters}
        for item in given:
            name, sep, value = item.partition("=")
            if not sep or name not in declared:
                raise CommandError(f"--param {item!r}: write NAME=VALUE with NAME one of {', '.join(sorted(declared))}")
            values[name] = int(value) if value.lstrip("-").isdigit() else value
        return values

    def read_submission(self, path: Path, lab) -> dict[str, bytes]:
        if path.is_dir():
            try:
                return read_tree(path)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if not path.is_file():
            raise CommandError(f"{path}: no such file or directory")
        if path.suffix == ".zip":
            try:
                return extract_zip(path.read_bytes(), limits=lab.spec.limits)
            except ContextError as exc:
                raise CommandError(f"{path}: {exc}") from exc
        return {"Dockerfile": path.read_bytes()}

    def print_human(self, report) -> None:
        marks = {"passed": "✔", "failed": "✘", "skipped": "–"}
        self.stdout.write(f"{report.lab}: {report.status.upper()} — {report.summary}")
        if report.parameters:
            self.stdout.write("  " + " ".join(f"{name}={value}" for name, value in report.parameters.items()))
        for rejection in report.rejections:
            line = f" (linha {rejection['line']})" if rejection.get("line") else ""
            self.stdout.write(f"  ✘ {rejection['message']}{line}")
        for check in report.checks:
            line = f" [linha {check.line}]" if check.line else ""
            self.stdout.write(
                f"  {marks.get(check.status, '?')} {check.title} ({check.points:g}/{check.max_points}){line}: {check.message}"
            )
            if check.hint:
                self.stdout.write(f"      → {check.hint}")
        if report.error:
            self.stdout.write(f"  platform error: {report.error}")
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
        self.stdout.write(f"  timings: {timings}")


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _to_stderr(chunk: str) -> None:
    sys.stderr.write(chunk)
