"""Random draws: a quiz slot shows N questions of a category, balanced over the class's
attempts, kept by each attempt from its start to its score; statistics stay per question."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse

from quizzes.bank import quiz_import
from quizzes.gradebook import quiz_grades
from quizzes.importers import QuizImportError, dump_yaml, parse_yaml
from quizzes.models import Attempt, Question
from quizzes.selectors import attempt_questions, quiz_draws, quiz_question_stats
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, offering_of

pytestmark = pytest.mark.django_db

POOL = ["rede-a", "rede-b", "rede-c", "rede-d"]


def single(key: str, points: float = 1, category: str = "") -> str:
    return (
        f"  - key: {key}\n    text: Pergunta {key}?\n    points: {points:g}\n"
        + (f"    category: {category}\n" if category else "")
        + "    choices:\n      - {text: certa, correct: true}\n      - {text: errada}\n"
    )


def quiz_yaml(*, count: int = 2, pool: list[str] = POOL, extra: str = "", draws: str | None = None) -> str:
    """A fixed question (2 points), a pool of 1-point questions in Docker/Redes (one of them a
    level below), a fixed question after it (3 points)."""
    questions = single("fixa", 2) + "".join(
        single(key, 1, "Docker/Redes/Avançado" if key == "rede-d" else "Docker/Redes") for key in pool
    )
    questions += single("vol", 3, "Docker/Volumes") + extra
    draws = f"draws:\n  - category: Docker/Redes\n    count: {count}\n" if draws is None else draws
    return f"title: Sorteio\nslug: sorteio\nquestions:\n{questions}{draws}"


@pytest.fixture
def quiz():
    return quiz_import(data=parse_yaml(quiz_yaml())).quiz


def keys(attempt: Attempt) -> list[str]:
    by_id = dict(Question.objects.filter(quiz=attempt.quiz).values_list("pk", "key"))
    return [by_id[pk] for pk in attempt.question_order]


def drawn(attempt: Attempt) -> set[str]:
    return {key for key in keys(attempt) if key.startswith("rede-")}


def learners(n: int, prefix: str = "aluna"):
    # No password: these learners never log in, and hashing one costs a good part of a second.
    return [UserFactory(username=f"{prefix}-{i}", password=None) for i in range(n)]


def answer_right(attempt: Attempt) -> None:
    for view in attempt_questions(attempt=attempt):
        right = [c.pk for c in view.choices if c.is_correct]
        answer_save(attempt=attempt, question=view.question, choice_ids=right, text="")


def test_the_draw_is_balanced_over_the_classes_learners_and_sits_in_its_slot(quiz):
    offering = offering_of(quiz)
    attempts = [attempt_start(offering=offering, learner=learner) for learner in learners(8)]
    first, second = drawn(attempts[0]), drawn(attempts[1])
    assert len(first) == len(second) == 2
    assert first.isdisjoint(second)  # side by side: no question in common while the pool allows
    # Over 8 learners, each of the 4 questions went to exactly 4 of them.
    assert Counter(key for a in attempts for key in drawn(a)) == dict.fromkeys(POOL, 4)
    for attempt in attempts:
        # Where the pool's first question sits, in the quiz's order; the rest as the quiz has it.
        picked = [key for key in POOL if key in drawn(attempt)]
        assert keys(attempt) == ["fixa", *picked, "vol"]
        assert set(attempt.choice_order) == {str(pk) for pk in attempt.question_order}
    assert len({frozenset(drawn(a)) for a in attempts}) > 1


def test_a_shuffled_offering_shuffles_the_drawn_questions_with_the_rest(quiz):
    offering = offering_of(quiz, shuffle_questions=True)
    attempts = [attempt_start(offering=offering, learner=learner) for learner in learners(8)]
    assert all(len(a.question_order) == 4 and len(drawn(a)) == 2 for a in attempts)
    assert len({tuple(keys(a)) for a in attempts}) > 1
    assert any(keys(a)[0] != "fixa" for a in attempts)


def test_the_draw_is_stable_on_resume_and_in_the_result(quiz, learner):
    offering = offering_of(quiz)
    attempt = attempt_start(offering=offering, learner=learner)
    again = attempt_start(offering=offering, learner=learner)
    assert again.pk == attempt.pk and again.question_order == attempt.question_order
    shown = [view.question.key for view in attempt_questions(attempt=again)]
    assert shown == keys(attempt)
    answer_right(again)
    result = attempt_submit(attempt=again)
    assert result.score == result.max_score == 2 + 2 + 3
    assert [view.question.key for view in attempt_questions(attempt=result)] == shown


def test_one_learners_attempts_may_draw_differently(quiz, learner):
    offering = offering_of(quiz)
    first = attempt_start(offering=offering, learner=learner)
    attempt_submit(attempt=first)
    second = attempt_start(offering=offering, learner=learner)
    assert second.number == 2
    assert drawn(first).isdisjoint(drawn(second))  # the least drawn in the class: the other two


def test_max_score_is_the_drawn_questions_points(quiz, learner):
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    assert attempt.max_score == quiz.max_score == 7
    assert quiz.questions_per_attempt == 4 and quiz.questions.count() == 6
    attempt = attempt_submit(attempt=attempt)
    assert attempt.score == 0 and attempt.percent == 0


def test_a_reimport_keeps_the_questions_of_attempts_already_started(quiz, learner, other_learner):
    offering = offering_of(quiz)
    started = attempt_start(offering=offering, learner=learner)
    order, maximum = list(started.question_order), started.max_score
    # The pool grows, the draw asks for more.
    quiz_import(data=parse_yaml(quiz_yaml(count=3, pool=[*POOL, "rede-e"])))
    started.refresh_from_db()
    assert started.question_order == order and started.max_score == maximum == 7
    resumed = attempt_start(offering=offering, learner=learner)
    assert resumed.question_order == order
    answer_right(resumed)
    assert attempt_submit(attempt=resumed).score == 7
    newer = attempt_start(offering=offering, learner=other_learner)
    assert len(drawn(newer)) == 3 and newer.max_score == 8
    assert "rede-e" in drawn(newer)  # never drawn yet: among the least used


@pytest.mark.django_db(transaction=True)
def test_learners_starting_at_the_same_instant_all_get_a_sound_draw():
    quiz = quiz_import(data=parse_yaml(quiz_yaml())).quiz
    offering = offering_of(quiz)
    people = learners(6, prefix="junto")
    barrier, errors = threading.Barrier(len(people)), []

    def start(user):
        try:
            barrier.wait(timeout=10)
            attempt_start(offering=offering, learner=user)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    attempts = list(Attempt.objects.filter(offering=offering))
    assert len(attempts) == 6
    for attempt in attempts:
        assert len(attempt.question_order) == len(set(attempt.question_order)) == 4
        assert len(drawn(attempt)) == 2 and attempt.max_score == 7


@pytest.mark.parametrize(
    ("draws", "extra", "expected"),
    [
        (
            "draws:\n  - category: Kubernetes\n    count: 1\n",
            "",
            "the random draw from category 'Kubernetes' has no question in that category",
        ),
        (
            "draws:\n  - category: Docker/Redes\n    count: 5\n",
            "",
            "asks for 5 question(s); expected 1 to 4",
        ),
        (
            "draws:\n  - category: Docker/Redes\n    count: 2\n  - category: Docker\n    count: 1\n",
            "",
            "question 'rede-a' is in the pools of two random draws ('Docker/Redes' and 'Docker')",
        ),
        (
            "draws:\n  - category: Docker/Redes\n    count: 2\n",
            single("rede-x", 2, "Docker/Redes"),
            "worth different points (rede-a: 1, rede-b: 1, rede-c: 1, rede-d: 1, rede-x: 2)",
        ),
    ],
    ids=["unknown-category", "count-too-big", "overlapping-pools", "unequal-points"],
)
def test_draws_that_cannot_work_are_refused_with_a_clear_message(draws, extra, expected):
    with pytest.raises(QuizImportError) as error:
        parse_yaml(quiz_yaml(draws=draws, extra=extra), source="sorteio.yaml")
    assert expected in error.value.text("en")
    assert error.value.describe("en").startswith("sorteio.yaml: ")
    assert error.value.text("pt-BR") != error.value.text("en")  # said in Portuguese by default


def test_the_yaml_round_trip_keeps_categories_and_draws():
    data = parse_yaml(quiz_yaml(count=3))
    assert [d.category for d in data.draws] == ["Docker/Redes"] and data.draws[0].count == 3
    assert data.questions[4].category == "Docker/Redes/Avançado"
    text = dump_yaml(data)
    assert "draws:\n- category: Docker/Redes\n  count: 3\n" in text
    assert parse_yaml(text) == data
    plain = parse_yaml(quiz_yaml(draws=""))
    assert "draws" not in dump_yaml(plain) and parse_yaml(dump_yaml(plain)) == plain


def test_stats_count_a_drawn_question_over_the_attempts_that_drew_it(client, quiz, instructor):
    offering = offering_of(quiz)
    for index, learner in enumerate(learners(4)):
        attempt = attempt_start(offering=offering, learner=learner)
        if index < 2:
            answer_right(attempt)  # the first two answer (and get right) their questions; the others leave them blank
        attempt_submit(attempt=attempt)
    stats = {stat.question.key: stat for stat in quiz_question_stats(offering=offering)}
    assert stats["fixa"].drawn is None and stats["vol"].drawn is None
    assert stats["fixa"].answered == stats["fixa"].correct == 2
    for key in POOL:
        assert stats[key].drawn == 2 and stats[key].attempts == 4  # two disjoint pairs, then again
        assert stats[key].answered == stats[key].correct == 1  # one of its two attempts answered it
        assert stats[key].percent_correct == 100
    assert quiz_draws(offering=offering)[0].count == 2 and quiz_draws(offering=offering)[0].pool_size == 4

    client.force_login(instructor)
    page = client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).content.decode()
    assert "Docker/Redes: 2 de 4 questões" in page
    assert page.count("2 de 4 tentativas sortearam esta questão") == 4
    assert "Docker/Redes/Avançado · 2 de 4 tentativas sortearam esta questão" in page


def test_the_learners_quiz_page_counts_an_attempts_questions(client, quiz, learner):
    offering_of(quiz)
    client.force_login(learner)
    page = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    assert "<dt>Questões</dt><dd>4</dd>" in page


def test_the_grade_export_scores_each_attempt_out_of_what_it_drew(quiz):
    offering = offering_of(quiz)
    right, half = learners(2)
    attempt = attempt_start(offering=offering, learner=right)
    answer_right(attempt)
    attempt_submit(attempt=attempt)
    attempt = attempt_start(offering=offering, learner=half)
    fixa = quiz.questions.get(key="fixa")
    answer_save(attempt=attempt, question=fixa, choice_ids=[fixa.choices.get(is_correct=True).pk], text="")
    for key in drawn(attempt):
        question = quiz.questions.get(key=key)
        answer_save(attempt=attempt, question=question, choice_ids=[question.choices.get(is_correct=True).pk], text="")
    attempt_submit(attempt=attempt)  # 2 + 2 of 7: "vol" left blank
    header, rows = quiz_grades(offering=offering)
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert float(by_name[right.username]["final_grade_percent"]) == pytest.approx(100)
    assert float(by_name[half.username]["final_grade_percent"]) == pytest.approx(100 * 4 / 7)
    for username, attempt in ((u.username, Attempt.objects.get(learner=u)) for u in (right, half)):
        for key in POOL:
            score = by_name[username][f"{key} (1)"]
            assert (score is None) == (key not in drawn(attempt)), (username, key)


def test_the_admin_edits_draws_on_the_quiz_and_filters_questions_by_category(admin_client, quiz):
    page = admin_client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    assert 'name="draws-0-category"' in page and 'value="Docker/Redes"' in page
    assert 'name="draws-0-count"' in page
    listing = admin_client.get(reverse("admin:quizzes_question_changelist"), {"category": "Docker/Volumes"})
    assert listing.status_code == 200
    assert [q.key for q in listing.context["cl"].result_list] == ["vol"]
