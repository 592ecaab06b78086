"""Writes for quizzes: attempts, answers, scoring (the bank's import: quizzes/bank.py)."""

import dataclasses
import random
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from classes.deadlines import closes_at_expression, learner_terms
from classes.models import Offering
from classes.signals import grade_changed_send

from .docker_command import CommandParseError, compare_commands
from .models import Answer, Attempt, Question
from .scoring import Accepted, Stem, Unit, offered_answers, score_matching, score_numerical, score_shortanswer


class QuizClosed(ValueError):
    """The learner cannot start or change an attempt now; the message says why."""


class AnswerRefused(ValueError):
    """An answer that cannot be stored as sent (too long, not offered...); the message says
    why, and the answer saved before stays as it was."""


# One-line answers (short answer, numerical): what a learner can mean to type, with room to spare.
TYPED_ANSWER_MAX: dict[str, int] = {Question.Kind.SHORT_ANSWER: 1000, Question.Kind.NUMERICAL: 100}


def _shuffled(items: list, rng: random.Random, enabled: bool) -> list:
    items = list(items)
    if enabled:
        rng.shuffle(items)
    return items


def _refuse_if_archived(offering: Offering) -> None:
    if offering.klass.is_archived:
        raise QuizClosed(_("This class is archived: its work can be read but no longer changed."))


def attempt_start(*, offering: Offering, learner, now=None) -> Attempt:
    """Resume the attempt in progress, or start a new one within the offering's rules for
    this learner (their extension included)."""
    now = now or timezone.now()
    _refuse_if_archived(offering)
    current = Attempt.objects.filter(offering=offering, learner=learner, status=Attempt.Status.IN_PROGRESS).first()
    if current is not None:
        if attempt_expire_if_due(attempt=current, now=now):
            raise QuizClosed(overdue_message(current))
        return current
    return _attempt_create(offering=offering, learner=learner, now=now)


def _questions_drawn(*, offering: Offering, questions: list[Question], rng: random.Random) -> list[Question]:
    """A new attempt's questions in the quiz's order: those outside every random draw, and for
    each draw `count` questions of its pool, in the place of the pool's first question.
    Balanced rather than merely random: the pool's questions least used so far by the
    offering's attempts are drawn (ties at random), so learners side by side get different
    questions while the pool has them. Two attempts starting at the same instant may count the
    same use and draw alike; balance is approximate there, and nothing else depends on it."""
    quiz = offering.quiz
    assert quiz is not None, "a quiz offering"
    pools = [(draw, pool) for draw, pool in quiz.draw_pools(questions) if pool]
    if not pools:
        return questions
    used = Counter(
        question_id
        for order in Attempt.objects.filter(offering=offering).values_list("question_order", flat=True)
        for question_id in order
    )
    slots: dict[int, list[Question]] = {}  # the pool's first question -> the questions drawn
    in_pools: set[int] = set()
    for draw, pool in pools:
        ranked = sorted(pool, key=lambda q: (used[q.pk], rng.random()))
        drawn = {q.pk for q in ranked[: draw.count]}
        slots[pool[0].pk] = [q for q in pool if q.pk in drawn]
        in_pools.update(q.pk for q in pool)
    chosen: list[Question] = []
    for question in questions:
        if question.pk in slots:
            chosen += slots[question.pk]
        elif question.pk not in in_pools:
            chosen.append(question)
    return chosen


@transaction.atomic
def _attempt_create(*, offering: Offering, learner, now) -> Attempt:
    terms = learner_terms(offering=offering, learner_id=learner.pk)
    if not terms.is_open(now):
        raise QuizClosed(_("This quiz is not open now."))
    used = Attempt.objects.filter(offering=offering, learner=learner).count()
    if terms.attempts_allowed and used >= terms.attempts_allowed:
        raise QuizClosed(_("You have used all %(count)d attempts of this quiz.") % {"count": terms.attempts_allowed})
    quiz = offering.quiz
    assert quiz is not None, "a quiz offering"
    rng = random.Random()
    questions = _questions_drawn(offering=offering, questions=list(quiz.questions.prefetch_related("choices")), rng=rng)
    order = _shuffled([q.pk for q in questions], rng, offering.shuffle_questions)
    choice_order = {
        str(q.pk): _shuffled([c.pk for c in q.choices.all()], rng, offering.shuffle_choices) for q in questions
    }
    choice_order.update(matching_answer_orders(questions, rng))
    deadline = now + terms.time_limit if terms.time_limit else None
    try:
        return Attempt.objects.create(
            quiz=quiz,
            offering=offering,
            learner=learner,
            number=used + 1,
            started_at=now,
            deadline=deadline,
            question_order=order,
            choice_order=choice_order,
            max_score=sum(q.points for q in questions),
        )
    except IntegrityError as exc:  # a twin request started one first
        raise QuizClosed(_("An attempt was just started in another tab; reload the page.")) from exc


def matching_answer_orders(questions, rng: random.Random) -> dict[str, list[int]]:
    """{"<question id>:answers": choice ids}: the order a matching question's answers are
    offered in for this attempt, always shuffled (in the stems' order they would give the key
    away). Read by selectors.matching_options."""
    return {
        f"{q.pk}:answers": _shuffled([c.pk for c in q.choices.all()], rng, True)
        for q in questions
        if q.kind == Question.Kind.MATCHING
    }


def overdue_message(attempt: Attempt) -> str:
    if attempt.ended_by_close:
        return _("The quiz closed; your attempt was submitted with the answers saved before it closed.")
    return _("Your time ran out; the attempt was submitted with the answers saved so far.")


def not_open_yet_message() -> str:
    return _("This quiz has not opened yet; your attempt is kept and you can go on when it opens.")


# Every write to an attempt (an answer, a submit, an automatic submit) starts by locking the
# attempt's row and reading the quiz's dates as they are at that moment. On PostgreSQL the lock
# serializes autosave and submit; SQLite ignores row locks but takes the database's write lock
# at BEGIN (transaction_mode IMMEDIATE). The writes themselves are conditional updates too, so
# the order holds even where neither lock does: a submit claims the row before it reads the
# answers, and an autosave's write stands only if the attempt is still open after it.


def _locked(attempt_id: int) -> Attempt:
    # The offering comes with it, read now rather than as the request loaded it (and the
    # learner's extension when its terms are first read); only the attempt's row is locked
    # (`of`), so teachers editing the settings never wait for learners.
    return (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("quiz", "offering", "offering__klass")
        .get(pk=attempt_id)
    )


def attempt_expire_if_due(*, attempt: Attempt, now=None) -> bool:
    """Finish an attempt whose time is up (time limit or the quiz's current close date) with the
    answers saved before it; True when this call finished it."""
    now = now or timezone.now()
    # First as the caller loaded it (this request's row and dates): a page that only reads does
    # not lock the row while time is left. The decision is taken again under the lock.
    if attempt.status != Attempt.Status.IN_PROGRESS or not attempt.is_overdue(now):
        return False
    locked = _expire(attempt.pk, now=now)
    if locked is None:
        return False
    attempt.quiz, attempt.offering = locked.quiz, locked.offering
    attempt.__dict__.pop("terms", None)
    return True


@transaction.atomic
def _expire(attempt_id: int, *, now) -> Attempt | None:
    locked = _locked(attempt_id)
    if locked.status != Attempt.Status.IN_PROGRESS or not locked.is_overdue(now):
        return None
    return _finish(locked, now=now, auto=True)


def attempts_finish_overdue(*, now=None, offering: Offering | None = None, learner=None) -> int:
    """Finish every open attempt whose time is up (optionally of one offering, one learner):
    the periodic task, and pages that list a learner's attempts before showing anything.
    "Up" by the learner's own close date: an extension keeps their attempt open."""
    now = now or timezone.now()
    candidates = (
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS)
        .annotate(learner_closes_at=closes_at_expression())
        .filter(Q(deadline__lte=now) | Q(learner_closes_at__lte=now))
    )
    if offering is not None:
        candidates = candidates.filter(offering=offering)
    if learner is not None:
        candidates = candidates.filter(learner=learner)
    return sum(_expire(pk, now=now) is not None for pk in candidates.values_list("pk", flat=True))


def answer_save(
    *,
    attempt: Attempt,
    question: Question,
    choice_ids: list[int],
    text: str,
    response: dict[str, str] | None = None,
    now=None,
) -> Answer:
    """Save one answer as the learner types or clicks (nothing is scored yet), only while the
    attempt is open: by the learner's current dates and the attempt's own time limit.
    `response` is a matching question's {stem choice id: chosen answer text}. An answer that
    cannot be stored as sent raises AnswerRefused before anything is written."""
    now = now or timezone.now()
    text, response = _answer_checked(question=question, text=text, response=response or {})
    with transaction.atomic():
        locked = _locked(attempt.pk)
        if locked.status != Attempt.Status.IN_PROGRESS:
            raise QuizClosed(_("This attempt was already submitted."))
        _refuse_if_archived(locked.offering)
        if not locked.is_overdue(now):
            if not locked.terms.has_opened(now):
                raise QuizClosed(not_open_yet_message())
            return _answer_store(
                attempt=locked, question=question, choice_ids=choice_ids, text=text, response=response, now=now
            )
        # Finished here and committed below: the refusal must not undo the automatic submission.
        _finish(locked, now=now, auto=True)
    raise QuizClosed(overdue_message(locked))


def _answer_store(
    *, attempt: Attempt, question: Question, choice_ids: list[int], text: str, response: dict[str, str], now
) -> Answer:
    if question.pk not in attempt.question_order:
        raise QuizClosed(_("This question is not part of your attempt."))
    valid = set(question.choices.filter(pk__in=choice_ids).values_list("pk", flat=True))
    if question.kind == Question.Kind.SINGLE and len(valid) > 1:
        valid = {sorted(valid)[0]}
    answer, _created = Answer.objects.get_or_create(attempt=attempt, question=question)
    if question.kind in (Question.Kind.ESSAY, Question.Kind.COMMAND):
        # NUL: PostgreSQL refuses any text holding one, and no typed answer needs it.
        answer.text = text.replace("\x00", "")[:20_000]
        answer.save(update_fields=["text", "updated_at"])
    elif question.kind in TYPED_ANSWER_MAX:
        answer.text = text
        answer.save(update_fields=["text", "updated_at"])
    elif question.kind == Question.Kind.MATCHING:
        answer.response = response
        answer.save(update_fields=["response", "updated_at"])
    else:
        answer.selected.set(valid)
        answer.save(update_fields=["updated_at"])
    # The write stands only if the attempt is still open by the dates committed now (the
    # learner's own close date, extension included); raising here rolls it back.
    open_ids = (
        Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS)
        .filter(Q(deadline__isnull=True) | Q(deadline__gt=now))
        .annotate(learner_closes_at=closes_at_expression())
        .filter(Q(learner_closes_at__isnull=True) | Q(learner_closes_at__gt=now))
        .values("pk")
    )
    still_open = Attempt.objects.filter(pk__in=open_ids).update(last_saved_at=now)
    if not still_open:
        raise QuizClosed(_("This attempt no longer takes answers; reload the page."))
    return answer


def _answer_checked(*, question: Question, text: str, response: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The text and matching response as they will be stored, or AnswerRefused. Matching keeps
    only the stems answered; a stem or an answer text the question does not offer is refused,
    never stored (the page offers nothing else, so it is a forged or stale form)."""
    cap = TYPED_ANSWER_MAX.get(question.kind)
    if cap is not None:
        if len(text) > cap:
            raise AnswerRefused(
                _("This answer is too long (at most %(max)d characters); it was not saved.") % {"max": cap}
            )
        if any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise AnswerRefused(_("This answer holds a control character that cannot be typed; it was not saved."))
        return text, {}
    if question.kind != Question.Kind.MATCHING:
        return text, {}
    pairs = list(question.choices.values_list("pk", "text", "match_text"))
    stems = {str(pk) for pk, stem, _match in pairs if stem}
    offered = set(offered_answers([(pk, match) for pk, _stem, match in pairs]))
    kept = {}
    for stem, chosen in response.items():
        if stem not in stems:
            raise AnswerRefused(_("This answer names an item the question does not have; it was not saved."))
        if chosen and chosen not in offered:
            raise AnswerRefused(_("This answer chose a text the question does not offer; it was not saved."))
        if chosen:
            kept[stem] = chosen
    return "", kept


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
    choices = list(question.choices.all())
    if question.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.NUMERICAL):
        accepted = [Accepted(id=c.pk, text=c.text, fraction=c.fraction, tolerance=c.tolerance) for c in choices]
        if question.kind == Question.Kind.SHORT_ANSWER:
            share, feedback = score_shortanswer(answer.text, accepted, case_sensitive=question.case_sensitive)
        else:
            units = [Unit(name=u["name"], multiplier=u["multiplier"]) for u in question.units]
            share, feedback = score_numerical(answer.text, accepted, units)
        return round(question.points * share, 4), feedback
    if question.kind == Question.Kind.MATCHING:
        share, feedback = score_matching(
            answer.response, [Stem(id=c.pk, match=c.match_text) for c in choices if c.text]
        )
        return round(question.points * share, 4), feedback
    chosen = list(answer.selected.all())
    if question.kind == Question.Kind.SINGLE:
        return (question.points if len(chosen) == 1 and chosen[0].is_correct else 0.0), []
    # Multiple: each chosen choice adds its fraction (wrong ones subtract); never below 0.
    share = sum(choice.fraction for choice in chosen)
    return round(question.points * min(1.0, max(0.0, share)), 4), []


def attempt_submit(*, attempt: Attempt, auto: bool = False, now=None) -> Attempt:
    """Score the attempt and close it. Past its time it is finished as of that moment, with
    what was saved before; before the quiz opens it is refused."""
    with transaction.atomic():
        locked = _locked(attempt.pk)
        if locked.status == Attempt.Status.SUBMITTED:
            return locked
        if not auto:
            _refuse_if_archived(locked.offering)
        # The time is read once the lock is held: an autosave that got in first is part of it.
        now = now or timezone.now()
        if not locked.is_overdue(now) and not locked.terms.has_opened(now):
            raise QuizClosed(not_open_yet_message())
        return _finish(locked, now=now, auto=auto)


def _finish(attempt: Attempt, *, now, auto: bool) -> Attempt:
    """Score and close a locked attempt. The claim comes first, so no answer written after it
    can be part of the score without the claim having seen it."""
    overdue = attempt.is_overdue(now)
    submitted_at = min(now, attempt.due_at) if overdue else now
    claimed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
        status=Attempt.Status.SUBMITTED, submitted_at=submitted_at, auto_submitted=auto or overdue
    )
    if not claimed:
        return Attempt.objects.select_related("quiz").get(pk=attempt.pk)
    answers = {a.question_id: a for a in attempt.answers.prefetch_related("selected")}
    total, pending = 0.0, False
    for question in Question.objects.filter(pk__in=attempt.question_order).prefetch_related("choices"):
        answer = answers.get(question.pk)
        points, feedback = score_answer(question, answer)
        if points is None:
            pending = pending or bool(answer and answer.text.strip())  # a blank essay has nothing to review
        else:
            total += points
        if answer is not None:
            Answer.objects.filter(pk=answer.pk).update(auto_score=points, feedback=feedback)
            answer.auto_score, answer.feedback = points, feedback
    attempt.status, attempt.submitted_at, attempt.auto_submitted = (
        Attempt.Status.SUBMITTED,
        submitted_at,
        auto or overdue,
    )
    attempt.score, attempt.pending_review = round(total, 4), pending
    Attempt.objects.filter(pk=attempt.pk).update(score=attempt.score, pending_review=pending)
    grade_changed_send(offering=attempt.offering, learner_ids=[attempt.learner_id])
    return attempt


def attempts_deadline_refresh(*, offering: Offering, learner_id: int) -> int:
    """Give the learner's open attempts in the offering the time limit their terms give now
    (counted from when each started), after a teacher changed the limit or an extension."""
    terms = learner_terms(offering=offering, learner_id=learner_id)
    changed = 0
    for attempt in Attempt.objects.filter(offering=offering, learner_id=learner_id, status=Attempt.Status.IN_PROGRESS):
        deadline = attempt.started_at + terms.time_limit if terms.time_limit else None
        if deadline != attempt.deadline:
            changed += Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
                deadline=deadline
            )
    return changed
