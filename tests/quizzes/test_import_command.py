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


@pytest.mark.django_db
def test_import_quiz_command_prints_every_problem_on_its_own_line():
    from .test_gift_aiken import AIKEN_ERRORS_PT, GIFT_ERRORS_PT

    with pytest.raises(CommandError) as info:
        call_command("import_quiz", str(DATA / "erros.gift"))
    assert str(info.value).split("\n") == ["6 problems in erros.gift; nothing was imported:", *GIFT_ERRORS_PT]
    with pytest.raises(CommandError) as info:
        call_command("import_quiz", str(DATA / "erros.aiken"))
    assert str(info.value).split("\n") == ["5 problems in erros.aiken; nothing was imported:", *AIKEN_ERRORS_PT]
    assert not Quiz.objects.filter(slug__startswith="erros").exists()


@pytest.mark.django_db
def test_moodle_style_gift_imports_and_reimports_onto_the_same_questions():
    out = io.StringIO()
    call_command("import_quiz", str(DATA / "moodle.gift"), stdout=out)
    call_command("import_quiz", str(DATA / "moodle.gift"), stdout=out)
    assert "quiz moodle updated: 0 question(s) new, 15 updated" in out.getvalue()
    quiz = Quiz.objects.get(slug="moodle")
    repeated = quiz.questions.filter(name="2-08 TSL").order_by("position")
    assert [(q.key, q.category) for q in repeated] == [
        ("2-08-tsl", "Docker/Comandos"),
        ("2-08-tsl-2", "Docker/Comandos"),
    ]
    matching = quiz.questions.get(key="instrucoes")
    assert [(c.match_text, c.text) for c in matching.choices.order_by("key")][-1] == ("EXPOSE", "")
