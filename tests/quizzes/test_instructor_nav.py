"""The menu a class's teachers have on its pages (the essay review with its count, lab
submissions, statistics, gradebook), the instructors' site menu (operations), and the
confirmation that release asks for."""

import re

import pytest
from django.urls import reverse

from quizzes.models import Review
from quizzes.reviews import review_open, review_save
from tests.factories import UserFactory, default_class, lab_from_content, quiz_from_content

from .test_reviews import essay_attempt, levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    return quiz_from_content()


def class_menu(body: str) -> str:
    """The menu a class's teachers and assistants have on every page of that class."""
    found = re.search(r'<nav class="instructor-nav" aria-label="Menu da turma".*?</nav>', body, re.S)
    return found[0] if found else ""


def site_menu(body: str) -> str:
    """The instructors' site-wide menu (their classes, operations, the admin), on every page."""
    found = re.search(r'<nav class="instructor-nav site-nav" aria-label="Menu do professor".*?</nav>', body, re.S)
    return found[0] if found else ""


def grade(quiz, answer, instructor):
    review, _ = review_open(answer=answer, reviewer=instructor)
    return review_save(
        review_id=review.pk,
        reviewer=instructor,
        version=review.version,
        level_ids=levels(quiz, ["Completa", "Parcial", "Completa", "Ausente"]),
        adjustment=0,
        comment="",
        complete=True,
    )


@pytest.mark.parametrize("url", ["class", "quiz", "lab"])
def test_instructors_have_a_menu_of_their_own_on_every_page(client, instructor, quiz, url):
    lab = lab_from_content("primeiro-conteiner")
    klass = default_class()
    client.force_login(instructor)
    path = {
        "class": reverse("classes:detail", args=[klass.pk]),
        "quiz": reverse("quizzes:detail", args=[klass.pk, quiz.slug]),
        "lab": reverse("labs:detail", args=[klass.pk, lab.slug]),
    }[url]
    body = client.get(path).content.decode()
    menu = class_menu(body)
    for target in (
        reverse("quizzes:review-queue", args=[klass.pk]),
        reverse("labs:submissions", args=[klass.pk, lab.slug]),
        reverse("quizzes:stats", args=[klass.pk, quiz.slug]),
        reverse("quizzes:gradebook-xlsx", args=[klass.pk]),
    ):
        assert f'href="{target}"' in menu, target
    assert "Correção das dissertativas" in menu
    assert f'href="{reverse("operations")}"' in site_menu(body)


def test_the_site_menu_is_on_the_home_page_too(client, instructor, quiz):
    client.force_login(instructor)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("operations")}"' in site_menu(body)
    assert f'href="{reverse("classes:list")}"' in site_menu(body)


def test_the_home_page_and_the_quiz_link_to_the_quizs_essay_review(client, instructor, learner, quiz):
    queue = f'href="{reverse("quizzes:review-queue", args=[default_class().pk])}?quiz={quiz.slug}"'
    client.force_login(instructor)
    for path in (reverse("home"), reverse("quizzes:detail", args=[default_class().pk, quiz.slug])):
        assert queue in client.get(path).content.decode(), path
    client.force_login(learner)
    for path in (reverse("home"), reverse("quizzes:detail", args=[default_class().pk, quiz.slug])):
        assert queue not in client.get(path).content.decode(), path


def test_learners_and_visitors_have_no_instructor_menu(client, learner, quiz):
    queue = reverse("quizzes:review-queue", args=[default_class().pk])
    body = client.get(reverse("login")).content.decode()
    assert not class_menu(body) and not site_menu(body) and queue not in body
    client.force_login(learner)
    for path in (
        reverse("home"),
        reverse("classes:detail", args=[default_class().pk]),
        reverse("quizzes:detail", args=[default_class().pk, quiz.slug]),
    ):
        body = client.get(path).content.decode()
        assert not class_menu(body) and not site_menu(body)
        assert queue not in body and reverse("operations") not in body


def test_the_menu_counts_the_answers_awaiting_review(client, instructor, quiz):
    client.force_login(instructor)
    class_page = reverse("classes:detail", args=[default_class().pk])
    assert "0 a corrigir" in class_menu(client.get(class_page).content.decode())
    answers = [essay_attempt(quiz, UserFactory(username=f"aprendiz-{i}")) for i in range(3)]
    assert "3 a corrigir" in class_menu(client.get(class_page).content.decode())
    grade(quiz, answers[0], instructor)
    # The same count as the review queue's "To review".
    queue = client.get(reverse("quizzes:review-queue", args=[default_class().pk]))
    assert queue.context["counts"]["to_review"] == 2
    assert "2 a corrigir" in class_menu(queue.content.decode())


def test_release_and_the_quiz_csv_are_offered_without_filtering(client, instructor, quiz):
    client.force_login(instructor)
    body = client.get(reverse("quizzes:review-queue", args=[default_class().pk])).content.decode()
    assert f'href="{reverse("quizzes:grades-csv", args=[default_class().pk, quiz.slug])}"' in body
    release_form = body.split(f'action="{reverse("quizzes:review-release", args=[default_class().pk])}"')[1].split(
        "</form>"
    )[0]
    assert f'name="quiz" value="{quiz.slug}"' in release_form and 'name="confirm"' not in release_form


def test_release_first_asks_for_confirmation_naming_how_many_learners(client, instructor, quiz):
    ana, bia = UserFactory(username="ana"), UserFactory(username="bia")
    for learner in (ana, bia):
        grade(quiz, essay_attempt(quiz, learner), instructor)
    essay_attempt(quiz, UserFactory(username="caio"))  # not reviewed: not released
    client.force_login(instructor)

    confirm = client.post(reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug})
    assert confirm.status_code == 200
    assert not Review.objects.filter(released_at__isnull=False).exists()
    body = confirm.content.decode()
    assert "Isto libera as dissertativas corrigidas de 2 alunos." in body
    assert "As notas tornam-se finais" in body and "página de resultado" in body
    assert 'name="confirm" value="yes"' in body
    assert confirm.context["preview"] == {"reviews": 2, "learners": 2}

    done = client.post(
        reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug, "confirm": "yes"}
    )
    assert done.status_code == 302
    assert Review.objects.filter(released_at__isnull=False).count() == 2


def test_the_confirmation_counts_learners_not_reviews_and_says_when_nothing_is_waiting(client, instructor, quiz):
    client.force_login(instructor)
    empty = client.post(
        reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug}
    ).content.decode()
    assert "Nenhuma dissertativa corrigida aguarda liberação aqui." in empty
    assert 'name="confirm"' not in empty

    ana = UserFactory(username="ana")
    grade(quiz, essay_attempt(quiz, ana), instructor)
    question = quiz.questions.get(key="q5")
    confirm = client.post(
        reverse("quizzes:review-release", args=[default_class().pk]), {"quiz": quiz.slug, "question": question.pk}
    )
    assert "Isto libera as dissertativas corrigidas de 1 aluno." in confirm.content.decode()
    assert f'name="question" value="{question.pk}"' in confirm.content.decode()
