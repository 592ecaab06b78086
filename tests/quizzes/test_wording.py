"""What the review, statistics and home pages say: real plurals, question texts instead of
keys, inline Markdown rendered, and released rubric levels in the rubric's order."""

import re

import pytest
from django.urls import reverse

from quizzes.models import Review
from quizzes.reviews import review_open, review_release, review_save
from tests.factories import default_class

from .test_reviews import essay_attempt, levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    from tests.factories import quiz_from_content

    return quiz_from_content()


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def reviewed(quiz, answer, instructor, names=("Completa", "Parcial", "Completa", "Ausente")):
    review, _ = review_open(answer=answer, reviewer=instructor)
    return review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, list(names)),
        adjustment=0,
        comment="",
        complete=True,
    )


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [
        ("pt-br", "1 correção liberada aos alunos.", "2 correções liberadas aos alunos."),
        ("en", "1 review released to learners.", "2 reviews released to learners."),
    ],
)
def test_the_release_message_is_a_real_plural(client, quiz, learner, other_learner, instructor, lang, one, two):
    client.force_login(instructor)
    if lang == "en":
        english(client)
    first = essay_attempt(quiz, learner)
    reviewed(quiz, first, instructor)
    page = client.post(
        reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug, "confirm": "yes"}, follow=True
    ).content.decode()
    assert one in page and "(s)" not in page
    Review.objects.update(released_at=None)
    reviewed(quiz, essay_attempt(quiz, other_learner), instructor)
    page = client.post(
        reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug, "confirm": "yes"}, follow=True
    ).content.decode()
    assert two in page


@pytest.mark.parametrize(
    ("lang", "left", "answers"),
    [
        ("pt-br", "falta 1 para corrigir", "1 resposta, corrigida por instrutores."),
        ("en", "1 left to review", "1 answer, reviewed by instructors."),
    ],
)
def test_counts_of_one_read_as_singular(client, quiz, learner, instructor, lang, left, answers):
    answer = essay_attempt(quiz, learner)
    client.force_login(instructor)
    if lang == "en":
        english(client)
    page = client.get(reverse("quizzes:review-answer", args=[answer.pk])).content.decode()
    assert left in page and "faltam 1 " not in page
    stats = client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).content.decode()
    assert answers in stats and "1 respostas" not in stats


def test_the_question_filter_names_the_question_not_its_key(client, quiz, learner, instructor):
    essay_attempt(quiz, learner)
    client.force_login(instructor)
    page = client.get(reverse("quizzes:review-queue", args=[default_class().pk])).content.decode()
    essay = quiz.questions.get(key="q5")
    option = re.search(rf'<option value="{essay.pk}"[^>]*>([^<]*)</option>', page)[1]
    assert "aula-45 ·" not in option
    assert option.startswith(f"{quiz.title} · q5: Explique como a containerização com Docker")
    assert option.endswith("…") and len(option) <= len(quiz.title) + len(" · q5: ") + 70


def test_markdown_in_questions_and_descriptions_is_rendered_not_shown_raw(client, quiz, learner, instructor):
    client.force_login(instructor)
    stats = client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).content.decode()
    assert "com o nome <code>meu-modelo-ml</code>" in stats
    assert "`meu-modelo-ml`" not in stats
    client.force_login(learner)
    home = client.get(reverse("home")).content.decode()
    assert "o comando <code>docker</code> pedido" in home and "`docker`" not in home


def test_released_rubric_levels_follow_the_rubrics_order(client, quiz, learner, instructor):
    answer = essay_attempt(quiz, learner)
    # The first criterion's level comes last within its criterion: ordering by a level's own
    # position would list it after the others.
    reviewed(quiz, answer, instructor, names=("Completa", "Ausente", "Ausente", "Ausente"))
    review_release(klass=default_class(), quiz=quiz)
    client.force_login(learner)
    page = client.get(reverse("quizzes:result", args=[answer.attempt.pk])).content.decode()
    names = ["Reprodutibilidade", "Eficiência", "MLOps", "XAI"]
    found = [page.index(f"<strong>{name}</strong>") for name in names]
    assert found == sorted(found)


@pytest.mark.parametrize("lang", ["pt-br", "en"])
def test_the_blind_review_toggle_is_a_labelled_toggle_button(client, instructor, lang):
    label = {"pt-br": "Ocultar os nomes dos alunos", "en": "Hide learners' names"}[lang]
    client.force_login(instructor)
    if lang == "en":
        english(client)

    def button():
        page = client.get(reverse("quizzes:review-queue", args=[default_class().pk])).content.decode()
        return re.search(r'<button type="submit" class="[^"]*toggle"[^>]*>.*?</button>', page, re.S)[0]

    off = button()
    assert 'aria-pressed="false"' in off and label in off and "✔" not in off
    client.post(
        reverse("quizzes:review-blind", args=[default_class().pk]),
        {"next": reverse("quizzes:review-queue", args=[default_class().pk])},
    )
    on = button()
    assert 'aria-pressed="true"' in on and label in on and "✔" in on
    for text in ("ligada", "desligada", ": on", ": off"):
        assert text not in on + off
