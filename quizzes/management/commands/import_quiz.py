from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.importers import QuizImportError, parse_file
from quizzes.services import quiz_import


class Command(BaseCommand):
    help = (
        "Import a quiz from the lesson text (its Autoavaliação and Gabarito), a GIFT or Aiken "
        "file, or the project's YAML. Re-importing updates the quiz; it never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["lesson", "gift", "aiken", "yaml"], help="default: from the extension")

    def handle(self, *args, path: Path, format: str | None, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            data = parse_file(path, fmt=format)
        except QuizImportError as exc:
            # Every problem of the file on its own line, so an author fixes them all in one go.
            lines = [error.describe() for error in exc.errors]
            if len(lines) > 1:
                lines.insert(0, f"{len(lines)} problems in {path.name}; nothing was imported:")
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
