"""What a learner types into an attempt's URL or form is parsed, never trusted: a malformed
page number is the first page, a malformed choice id is no choice."""

import pytest
from django.urls import reverse

from quizzes.models import Answer, Attempt
from tests.factories import default_class, quiz_from_content

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# int() refuses "²" and "٣" after str.isdigit() let them through; "9" * 40 overflows SQLite's
# 64-bit integers; the rest are plain non-numbers.
NOT_NUMBERS = ["x", "²", "٣", "-1", "0", "9" * 40, "\x00", "1e309", ""]


@pytest.fixture
def quiz():
    return quiz_from_content(one_per_page=True)


@pytest.fixture
def attempt(client, learner, quiz):
    client.force_login(learner)
    client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
    return Attempt.objects.get(learner=learner, quiz=quiz)


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_a_page_that_is_not_a_number_shows_a_page(client, attempt, value):
    response = client.get(reverse("quizzes:attempt", args=[attempt.pk]), {"page": value})
    assert response.status_code == 200 and response.context["page"] == 1


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_saving_a_page_that_is_not_a_number_saves_and_moves_on(client, attempt, quiz, value):
    q1 = quiz.questions.get(key="q1")
    right = q1.choices.get(is_correct=True)
    response = client.post(
        reverse("quizzes:save-page", args=[attempt.pk]), {"page": value, "go": value, f"q{q1.pk}": right.pk}
    )
    # A `go` that is no page number leads to the submit page, never to a page URL built from it.
    assert response.status_code == 302 and response.url == reverse("quizzes:submit", args=[attempt.pk])
    assert client.get(response.url).status_code == 200
    assert list(Answer.objects.get(attempt=attempt, question=q1).selected.all()) == [right]


def test_a_page_number_in_go_leads_to_that_page(client, attempt):
    response = client.post(reverse("quizzes:save-page", args=[attempt.pk]), {"page": "1", "go": "2"})
    assert response.url == f"{reverse('quizzes:attempt', args=[attempt.pk])}?page=2"


def test_choice_ids_that_are_not_ids_are_ignored(client, attempt, quiz):
    q3 = quiz.questions.get(key="q3")
    right = q3.choices.get(is_correct=True)
    response = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, q3.pk]),
        {f"q{q3.pk}": ["²", "٣", "9" * 40, "-1", "\x00", str(right.pk)]},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert list(Answer.objects.get(attempt=attempt, question=q3).selected.all()) == [right]


def test_choice_ids_that_are_not_ids_are_ignored_on_a_saved_page(client, attempt, quiz):
    q1 = quiz.questions.get(key="q1")
    response = client.post(reverse("quizzes:save-page", args=[attempt.pk]), {"page": "1", f"q{q1.pk}": ["²", "9" * 40]})
    assert response.status_code == 302
    assert not Answer.objects.get(attempt=attempt, question=q1).selected.exists()


def test_nul_in_an_answer_is_dropped(client, attempt, quiz):
    essay = quiz.questions.get(key="q5")
    response = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, essay.pk]), {f"q{essay.pk}": "a\x00b\x00"}, headers=HTMX
    )
    assert response.status_code == 200 and Answer.objects.get(attempt=attempt, question=essay).text == "ab"


@pytest.mark.postgres
def test_nul_in_an_answer_never_reaches_postgresql(client, attempt, quiz):
    """SQLite stores a NUL; PostgreSQL refuses any text holding one (a 500)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL: make test runs it in its second pass, with DATABASE_URL")
    essay = quiz.questions.get(key="q5")
    saved = client.post(
        reverse("quizzes:autosave", args=[attempt.pk, essay.pk]), {f"q{essay.pk}": "a\x00b"}, headers=HTMX
    )
    assert saved.status_code == 200
    assert (
        client.post(reverse("quizzes:save-page", args=[attempt.pk]), {"page": "1", f"q{essay.pk}": "\x00"}).status_code
        == 302
    )
