"""What an instructor's browser sends to the review pages is parsed, never trusted: a malformed
filter is no filter, a malformed adjustment a form error, a `next` leads only back into the site."""

import pytest
from django.urls import reverse

from quizzes.models import Review
from quizzes.reviews import review_open
from tests.factories import default_class, quiz_from_content
from tests.quizzes.test_attempt_input import NOT_NUMBERS
from tests.quizzes.test_reviews import essay_attempt, levels

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def quiz():
    return quiz_from_content()


@pytest.fixture
def essay(quiz, learner):
    return essay_attempt(quiz, learner)


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_a_question_filter_that_is_not_an_id_is_no_filter(client, instructor, essay, value):
    client.force_login(instructor)
    queue = client.get(reverse("quizzes:review-queue", args=[default_class().pk]), {"question": value})
    assert queue.status_code == 200 and queue.context["question"] is None
    assert client.get(reverse("quizzes:review-next", args=[default_class().pk]), {"question": value}).status_code == 302
    assert client.get(reverse("quizzes:review-answer", args=[essay.pk]), {"question": value}).status_code == 200
    assert (
        client.post(reverse("quizzes:review-release", args=[default_class().pk]), {"question": value}).status_code
        == 302
    )


def test_a_quiz_filter_that_is_not_a_slug_is_no_filter(client, instructor, essay):
    client.force_login(instructor)
    queue = client.get(reverse("quizzes:review-queue", args=[default_class().pk]), {"quiz": "aula-45\x00' OR 1=1"})
    assert queue.status_code == 200 and queue.context["quiz"] is None


def test_the_question_filter_still_filters(client, instructor, essay):
    client.force_login(instructor)
    queue = client.get(reverse("quizzes:review-queue", args=[default_class().pk]), {"question": str(essay.question_id)})
    assert queue.context["question"] == essay.question and queue.context["quiz"] == essay.question.quiz


def _post_review(client, answer, htmx=False, **data):
    return client.post(
        reverse("quizzes:review-answer", args=[answer.pk]), {"action": "save", **data}, headers=HTMX if htmx else {}
    )


@pytest.mark.parametrize("value", ["x", "²", "9" * 40, "\x00", "1e309", "NaN", "inf", "1e3"], ids=repr)
def test_an_adjustment_that_is_not_a_number_is_a_form_error(client, instructor, quiz, essay, value):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    response = _post_review(
        client,
        essay,
        version=review.version,
        level=levels(quiz, ["Completa"] * 4),
        adjustment=value,
        comment="não salvo",
    )
    assert response.status_code == 400
    assert "ajuste" in response.context["error"].lower()
    # The instructor's typed comment is shown again, not lost with the refused save.
    assert "não salvo" in response.content.decode()
    saved = Review.objects.get(pk=review.pk)
    assert (saved.version, saved.comment, saved.is_complete) == (review.version, "", False)


def test_an_adjustment_beyond_the_question_is_a_form_error(client, instructor, quiz, essay):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    response = _post_review(client, essay, version=review.version, adjustment="1000000", comment="")
    assert response.status_code == 400 and "-4" in response.context["error"]
    assert Review.objects.get(pk=review.pk).version == review.version


def test_an_autosaved_adjustment_that_is_not_a_number_says_so_and_saves_nothing(client, instructor, essay):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    response = _post_review(client, essay, htmx=True, version=review.version, adjustment="x", comment="rascunho")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="autosave-state"' in body and "ajuste" in body.lower()
    assert Review.objects.get(pk=review.pk).version == review.version


@pytest.mark.parametrize("value", ["", "0", "-1,5", "2.25"])
def test_a_plain_adjustment_is_saved(client, instructor, essay, value):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    response = _post_review(client, essay, version=review.version, adjustment=value, comment="")
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).adjustment == float(value.replace(",", ".") or 0)


@pytest.mark.parametrize("value", [v for v in NOT_NUMBERS if v != "0"], ids=repr)  # 0 is a fresh review's version
def test_a_version_or_level_that_is_not_a_number_saves_nothing(client, instructor, quiz, essay, value):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    stale = _post_review(client, essay, version=value, adjustment="0", comment="x")
    assert stale.status_code == 409  # no version named is a stale version, refused
    response = _post_review(
        client, essay, version=review.version, adjustment="0", comment="", **{"level": value, f"level-{value}": value}
    )
    assert response.status_code == 302
    assert not Review.objects.get(pk=review.pk).levels.exists()


@pytest.mark.parametrize(
    "target",
    [
        "x",
        "²",
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http:///evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "\x00",
        "/\r\nSet-Cookie: x=1",
        "/revisao/\x00",
        "https://testserver.evil.example/",
    ],
    ids=repr,
)
def test_the_blind_toggle_never_leads_off_the_review_pages(client, instructor, target):
    client.force_login(instructor)
    response = client.post(reverse("quizzes:review-blind", args=[default_class().pk]), {"next": target})
    assert response.status_code == 302 and response.url == reverse("quizzes:review-queue", args=[default_class().pk])


def test_the_blind_toggle_goes_back_to_the_page_it_was_pressed_on(client, instructor):
    client.force_login(instructor)
    back = reverse("quizzes:review-queue", args=[default_class().pk]) + "?quiz=aula-45"
    assert client.post(reverse("quizzes:review-blind", args=[default_class().pk]), {"next": back}).url == back
    assert client.session["estaleiro_blind_review"] is True


def test_nul_in_a_review_comment_is_dropped(client, instructor, essay):
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    assert (
        _post_review(client, essay, version=review.version, adjustment="0", comment="bom\x00 texto").status_code == 302
    )
    assert Review.objects.get(pk=review.pk).comment == "bom texto"


@pytest.mark.postgres
def test_nul_in_a_comment_or_a_filter_never_reaches_postgresql(client, instructor, essay):
    """SQLite stores a NUL; PostgreSQL refuses any text holding one (a 500)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL: make test runs it in its second pass, with DATABASE_URL")
    client.force_login(instructor)
    review, _ = review_open(answer=essay, reviewer=instructor)
    assert _post_review(client, essay, version=review.version, adjustment="0", comment="a\x00b").status_code == 302
    assert (
        client.get(reverse("quizzes:review-queue", args=[default_class().pk]), {"quiz": "aula-45\x00"}).status_code
        == 200
    )
