from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.services import ContentError, lab_sync_from_dir
from quizzes.bank import practice_data, quiz_import
from quizzes.importers import QuizImportError, parse_file
from quizzes.reviews import rubrics_load


class Command(BaseCommand):
    help = "Load the lesson's quizzes and labs from the content directory (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--content-dir", type=Path, default=settings.CONTENT_DIR)

    def handle(self, *args, content_dir: Path, **options):
        if not content_dir.is_dir():
            self.stdout.write(f"No content directory at {content_dir}; nothing to load.")
            return
        loaded = 0
        try:
            for path in sorted(
                p for p in (content_dir / "quizzes").glob("*.yaml") if not p.name.endswith(".rubric.yaml")
            ):
                data = parse_file(path)
                rubrics = path.with_suffix(".rubric.yaml")
                for quiz_data in filter(None, (data, practice_data(data))):
                    result = quiz_import(data=quiz_data)
                    self.stdout.write(f"quiz {result.quiz.slug}: {'created' if result.created else 'updated'}")
                    if rubrics.exists():
                        rubrics_load(quiz=result.quiz, path=rubrics)
                    loaded += 1
            lab_dirs = sorted(p.parent for p in (content_dir / "labs").glob("*/lab.yaml"))
            for lab_dir in lab_dirs:
                lab, created = lab_sync_from_dir(lab_dir=lab_dir)
                self.stdout.write(f"lab {lab.slug}: {'created' if created else 'updated'}")
                loaded += 1
        except (ContentError, QuizImportError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{loaded} content item(s) loaded from {content_dir}"))
