from django.core.management.base import BaseCommand, CommandError

from labs.content import lab_dirs, load_lab
from labs.grading.spec import SpecError
from labs.selftest import selftest_lab


class Command(BaseCommand):
    help = "Grade every lab's reference solution (full marks expected) and known-bad submissions."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="only these labs")

    def handle(self, *args, slugs, **options):
        failures = 0
        for lab_dir in lab_dirs():
            if slugs and lab_dir.name not in slugs:
                continue
            try:
                lab = load_lab(lab_dir)
            except SpecError as exc:
                raise CommandError(str(exc)) from exc
            for result in selftest_lab(lab):
                report = result.report
                verdict = f"{report.status} {report.score:g}/{report.max_score}" if report else "-"
                timings = " ".join(f"{k}={v:.2f}s" for k, v in (report.timings.items() if report else []))
                mark = "ok  " if result.ok else "FAIL"
                self.stdout.write(f"{mark} {result.lab:<20} {result.case:<26} {verdict:<16} {timings}")
                for problem in result.problems:
                    self.stdout.write(f"       {problem}")
                failures += not result.ok
        if failures:
            raise CommandError(f"{failures} lab case(s) did not behave as expected")
        self.stdout.write(
            self.style.SUCCESS("Every reference passes with full marks and every bad case fails as written.")
        )
