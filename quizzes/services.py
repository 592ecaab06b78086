"""Writes for quizzes: import, attempts, answers, scoring."""

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .docker_command import CommandParseError, compare_commands
from .importers import QuizData
from .models import Answer, Attempt, Choice, Question, Quiz


class QuizClosed(ValueError):
    """The learner cannot start or change an attempt now; the message says why."""


@dataclass
class ImportResult:
    quiz: Quiz
    created: bool
    questions_created: int = 0
    questions_updated: int = 0
    kept: list[str] = field(default_factory=list)  # in the database, gone from the file, but answered


@transaction.atomic
def quiz_import(*, data: QuizData) -> ImportResult:
    """Create or update the quiz and its questions by their keys: re-importing never duplicates."""
    quiz, created = Quiz.objects.get_or_create(slug=data.slug, defaults={"title": data.title, "description": data.description})
    if not created:
        quiz.title, quiz.description = data.title, data.description
        quiz.save(update_fields=["title", "description", "updated_at"])
    result = ImportResult(quiz=quiz, created=created)
    keys = []
    for position, item in enumerate(data.questions):
        keys.append(item.key)
        question, was_created = Question.objects.update_or_create(
            quiz=quiz, key=item.key,
            defaults={"kind": item.kind, "text": item.text, "points": item.points, "explanation": item.explanation,
                      "expected_command": item.expected_command, "position": position},
        )
        if was_created:
            result.questions_created += 1
        else:
            result.questions_updated += 1
        choice_keys = []
        for choice_position, choice in enumerate(item.choices):
            choice_keys.append(choice.key)
            Choice.objects.update_or_create(
                question=question, key=choice.key,
                defaults={"text": choice.text, "is_correct": choice.is_correct, "fraction": choice.fraction,
                          "feedback": choice.feedback, "position": choice_position},
            )
        question.choices.exclude(key__in=choice_keys).filter(answers__isnull=True).delete()
    for stale in quiz.questions.exclude(key__in=keys):
        if stale.answers.exists():
            result.kept.append(stale.key)  # learners answered it: keep their history
        else:
            stale.delete()
    return result


def _shuffled(items: list, rng: random.Random, enabled: bool) -> list:
    items = list(items)
    if enabled:
        rng.shuffle(items)
    return items


def attempt_start(*, quiz: Quiz, learner, now=None) -> Attempt:
    """Resume the attempt in progress, or start a new one within the quiz's rules."""
    now = now or timezone.now()
    current = Attempt.objects.filter(quiz=quiz, learner=learner, status=Attempt.Status.IN_PROGRESS).first()
    if current is not None:
        # Outside any transaction: the automatic submission must stick even though we refuse.
        if attempt_expire_if_due(attempt=current, now=now):
            raise QuizClosed(_("Your time ran out; the attempt was submitted with the answers saved so far."))
        return current
    return _attempt_create(quiz=quiz, learner=learner, now=now)


@transaction.atomic
def _attempt_create(*, quiz: Quiz, learner, now) -> Attempt:
    if not quiz.is_open(now):
        raise QuizClosed(_("This quiz is not open now."))
    used = Attempt.objects.filter(quiz=quiz, learner=learner).count()
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        raise QuizClosed(_("You have used all %(count)d attempts of this quiz.") % {"count": quiz.attempts_allowed})
    rng = random.Random()
    questions = list(quiz.questions.prefetch_related("choices"))
    order = _shuffled([q.pk for q in questions], rng, quiz.shuffle_questions)
    choice_order = {str(q.pk): _shuffled([c.pk for c in q.choices.all()], rng, quiz.shuffle_choices) for q in questions}
    # Time is up at the time limit or when the quiz closes, whichever comes first.
    limits = [now + timedelta(minutes=quiz.time_limit_minutes)] if quiz.time_limit_minutes else []
    if quiz.closes_at:
        limits.append(quiz.closes_at)
    deadline = min(limits) if limits else None
    try:
        return Attempt.objects.create(
            quiz=quiz, learner=learner, number=used + 1, started_at=now, deadline=deadline,
            question_order=order, choice_order=choice_order, max_score=sum(q.points for q in questions),
        )
    except IntegrityError as exc:  # a twin request started one first
        raise QuizClosed(_("An attempt was just started in another tab; reload the page.")) from exc


def attempt_expire_if_due(*, attempt: Attempt, now=None) -> bool:
    """Submit an attempt whose time is up; True when it did."""
    now = now or timezone.now()
    if attempt.status == Attempt.Status.IN_PROGRESS and attempt.deadline and now >= attempt.deadline:
        attempt_submit(attempt=attempt, auto=True, now=now)
        return True
    return False


def answer_save(*, attempt: Attempt, question: Question, choice_ids: list[int], text: str, now=None) -> Answer:
    """Save one answer as the learner types or clicks (nothing is scored yet)."""
    attempt.refresh_from_db(fields=["status"])
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise QuizClosed(_("This attempt was already submitted."))
    # Outside the transaction below: the automatic submission must stick even though we refuse.
    if attempt_expire_if_due(attempt=attempt, now=now):
        raise QuizClosed(_("Your time ran out; the attempt was submitted with the answers saved so far."))
    return _answer_store(attempt=attempt, question=question, choice_ids=choice_ids, text=text)


@transaction.atomic
def _answer_store(*, attempt: Attempt, question: Question, choice_ids: list[int], text: str) -> Answer:
    if question.pk not in attempt.question_order:
        raise QuizClosed(_("This question is not part of your attempt."))
    valid = set(question.choices.filter(pk__in=choice_ids).values_list("pk", flat=True))
    if question.kind == Question.Kind.SINGLE and len(valid) > 1:
        valid = {sorted(valid)[0]}
    answer, _created = Answer.objects.get_or_create(attempt=attempt, question=question)
    if question.kind in (Question.Kind.ESSAY, Question.Kind.COMMAND):
        answer.text = text[:20_000]
        answer.save(update_fields=["text", "updated_at"])
    else:
        answer.selected.set(valid)
        answer.save(update_fields=["updated_at"])
    return answer


def score_answer(question: Question, answer: Answer | None) -> tuple[float | None, list]:
    """(points earned, feedback) for an auto-scored question; (None, []) for an essay."""
    if question.kind == Question.Kind.ESSAY:
        return None, []
    if answer is None:
        return 0.0, []
    if question.kind == Question.Kind.COMMAND:
        try:
            comparison = compare_commands(answer.text, question.expected_command)
        except CommandParseError as exc:
            return 0.0, [{"code": "parse_error", "flag": "", "expected": "", "given": str(exc)}]
        problems = [dataclasses.asdict(problem) for problem in comparison.problems]
        return (question.points if comparison.equivalent else 0.0), problems
    chosen = list(answer.selected.all())
    if question.kind == Question.Kind.SINGLE:
        return (question.points if len(chosen) == 1 and chosen[0].is_correct else 0.0), []
    # Multiple: each chosen choice adds its fraction (wrong ones subtract); never below 0.
    share = sum(choice.fraction for choice in chosen)
    return round(question.points * min(1.0, max(0.0, share)), 4), []


@transaction.atomic
def attempt_submit(*, attempt: Attempt, auto: bool = False, now=None) -> Attempt:
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status == Attempt.Status.SUBMITTED:
        return attempt
    answers = {a.question_id: a for a in attempt.answers.prefetch_related("selected")}
    total, pending = 0.0, False
    for question in Question.objects.filter(pk__in=attempt.question_order):
        answer = answers.get(question.pk)
        points, feedback = score_answer(question, answer)
        if points is None:
            pending = pending or bool(answer and answer.text.strip())  # a blank essay has nothing to review
        else:
            total += points
        if answer is not None:
            answer.auto_score = points
            answer.feedback = feedback
            answer.save(update_fields=["auto_score", "feedback"])
    attempt.status = Attempt.Status.SUBMITTED
    attempt.submitted_at = now or timezone.now()
    attempt.auto_submitted = auto
    attempt.score = round(total, 4)
    attempt.pending_review = pending
    attempt.save(update_fields=["status", "submitted_at", "auto_submitted", "score", "pending_review"])
    return attempt
