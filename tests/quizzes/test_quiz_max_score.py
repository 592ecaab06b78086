"""A quiz's maximum with random draws: what one attempt can score, not the whole bank."""

import pytest

from quizzes.models import Draw, Question, Quiz

pytestmark = pytest.mark.django_db


def test_max_score_counts_a_draws_questions_once_per_slot():
    quiz = Quiz.objects.create(slug="banco", title="Banco")
    Question.objects.create(quiz=quiz, key="fixa", text="?", points=2, kind="essay")
    for n in range(4):
        Question.objects.create(quiz=quiz, key=f"rede-{n}", text="?", points=1, kind="essay", category="Docker/Redes")
    Question.objects.create(quiz=quiz, key="vol", text="?", points=3, kind="essay", category="Docker/Volumes")
    assert quiz.max_score == 2 + 4 + 3
    Draw.objects.create(quiz=quiz, category="Docker/Redes", count=2)
    assert quiz.max_score == 2 + 2 + 3
    Draw.objects.create(quiz=quiz, category="Docker/Volumes", count=1, position=1)
    assert quiz.max_score == 2 + 2 + 3
