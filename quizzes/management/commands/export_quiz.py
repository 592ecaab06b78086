from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.importers import dump_moodle_xml, dump_yaml
from quizzes.models import Quiz
from quizzes.selectors import quiz_data

DUMPERS = {"moodlexml": dump_moodle_xml, "yaml": dump_yaml}


class Command(BaseCommand):
    help = (
        "Export a quiz's questions as Moodle XML (Question bank → Import in Moodle) or as the "
        "project's YAML; to standard output, or to a file with -o."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", choices=list(DUMPERS), default="moodlexml")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, slug: str, format: str, output: Path | None, **options):
        quiz = Quiz.objects.filter(slug=slug).first()
        if quiz is None:
            raise CommandError(f"no quiz with slug {slug!r}")
        text = DUMPERS[format](quiz_data(quiz=quiz))
        if output is None:
            self.stdout.write(text, ending="")
            return
        output.write_text(text, encoding="utf-8")
        self.stderr.write(f"{quiz.questions.count()} question(s) of {slug} written to {output} ({format})")
