"""manage.py import_quiz, as an instructor runs it: the lesson text twice, then a bad file."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quizzes.models import Quiz

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "content" / "lesson" / "aula-45.txt"
DATA = Path(__file__).parent / "data"


@pytest.mark.django_db
def test_import_quiz_command_on_the_lesson_twice_and_on_a_bad_file():
    out = io.StringIO()
    call_command("import_quiz", str(LESSON), stdout=out)
    assert "quiz aula-45 created: 5 question(s) new" in out.getvalue()
    call_command("import_quiz", str(LESSON), stdout=out)
    assert "quiz aula-45 updated: 0 question(s) new, 5 updated" in out.getvalue()
    assert Quiz.objects.get(slug="aula-45").questions.count() == 5
    with pytest.raises(CommandError, match=r"erros\.gift, linha 5: "):
        call_command("import_quiz", str(DATA / "erros.gift"))
