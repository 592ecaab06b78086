from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.bank import quiz_import
from quizzes.importers import FORMATS, QuizImportError, file_format, parse_file


class Command(BaseCommand):
    help = (
        "Import a quiz from the lesson text (its Autoavaliação and Gabarito), a GIFT, Aiken or "
        "Moodle XML file, or the project's YAML. Re-importing updates the quiz; it never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=list(FORMATS), help="default: from the extension")
        parser.add_argument(
            "--skip-unsupported",
            action="store_true",
            help="Moodle XML: leave out the question types and parts Estaleiro has not (listed), import the rest",
        )

    def handle(self, *args, path: Path, format: str | None, skip_unsupported: bool, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            fmt = file_format(path, format)
            if skip_unsupported and fmt != "moodlexml":
                raise CommandError("--skip-unsupported applies to Moodle XML files only")
            data = parse_file(path, fmt=fmt, **({"skip_unsupported": True} if skip_unsupported else {}))
        except QuizImportError as exc:
            # Every problem of the file on its own line, so an author fixes them all in one go.
            lines = [error.describe() for error in exc.errors]
            if len(lines) > 1:
                lines.insert(0, f"{len(lines)} problems in {path.name}; nothing was imported:")
            if any(getattr(error, "skippable", False) for error in exc.errors):
                lines.append(
                    "--skip-unsupported leaves out the unsupported questions and parts, imports the rest and lists them."
                )
            raise CommandError("\n".join(lines)) from exc
        result = quiz_import(data=data)
        verb = "created" if result.created else "updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"quiz {result.quiz.slug} {verb}: {result.questions_created} question(s) new, {result.questions_updated} updated"
            )
        )
        if result.kept:
            self.stdout.write(f"kept (answered by learners, no longer in the file): {', '.join(result.kept)}")
        if data.notes:
            self.stdout.write(self.style.WARNING(f"left out or changed ({len(data.notes)}):"))
            for note in data.notes:
                self.stdout.write(f"- {note}")
