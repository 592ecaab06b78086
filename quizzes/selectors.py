"""Reads for quizzes: progress, attempts in display order, what may be revealed, statistics."""

import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import cast

from django.db.models import Count, Prefetch
from django.http import Http404
from django.utils import timezone

from classes.deadlines import LearnerTerms, terms_with
from classes.decorators import offering_for_viewer
from classes.models import Class, Extension, Offering
from classes.permissions import is_staff_of
from common.similarity import Ranking, SideBySide, normalize_words, rank_pairs, sentences, side_by_side, text_shingles

from .importers import ChoiceData, DrawData, QuestionData, QuizData, UnitData
from .importers.model import QuestionKind
from .models import Answer, Attempt, Choice, Level, Question, Quiz, Review
from .reviews import essay_answers
from .scoring import normalize_text, offered_answers


@dataclass(frozen=True)
class QuizProgress:
    offering: Offering
    attempts: int
    in_progress: bool
    final_percent: float | None
    pending_review: bool
    # Submitted attempts: with no grade to show (marks hidden by the review options), the
    # learner is still told the quiz was done, not that it was never started.
    submitted: int = 0

    @property
    def quiz(self) -> Quiz:
        return self.offering.quiz  # type: ignore[return-value]


def final_percent(*, offering: Offering, attempts: list[Attempt]) -> float | None:
    """The quiz grade (0-100) from submitted attempts, per the class's grading method."""
    done = sorted(
        (a for a in attempts if a.status == Attempt.Status.SUBMITTED and a.percent is not None), key=lambda a: a.number
    )
    percents = [a.percent for a in done if a.percent is not None]
    if not percents:
        return None
    if offering.grading_method == Offering.GradingMethod.LAST:
        return percents[-1]
    if offering.grading_method == Offering.GradingMethod.AVERAGE:
        return sum(percents) / len(percents)
    return max(percents)


def learner_quiz_grade(*, offering: Offering, learner_id: int) -> tuple[float | None, bool]:
    """The learner's grade in the quiz (0-100, under the offering's grading method) and
    whether it is final: no essay of an attempt that counts still awaits a released review.
    By the highest attempt, an attempt awaiting review counts only if its essays could still
    lift it above the grade; by the last, only the last counts; by the average, all do."""
    attempts = list(
        Attempt.objects.filter(offering=offering, learner_id=learner_id, status=Attempt.Status.SUBMITTED).order_by(
            "number"
        )
    )
    percent = final_percent(offering=offering, attempts=attempts)
    if percent is None:
        return None, False
    pending = [a for a in attempts if a.pending_review]
    if not pending:
        return percent, True
    if offering.grading_method == Offering.GradingMethod.LAST:
        return percent, not attempts[-1].pending_review
    if offering.grading_method == Offering.GradingMethod.AVERAGE:
        return percent, False
    awaiting: dict[int, float] = {}
    essays = Answer.objects.filter(attempt__in=pending, question__kind=Question.Kind.ESSAY).select_related(
        "question", "review"
    )
    for answer in essays:
        review = getattr(answer, "review", None)
        if answer.text.strip() and not (review is not None and review.released_at):
            awaiting[answer.attempt_id] = awaiting.get(answer.attempt_id, 0.0) + answer.question.points
    for attempt in pending:
        best_possible = 100 * ((attempt.score or 0) + awaiting.get(attempt.pk, 0.0)) / (attempt.max_score or 1)
        if best_possible > percent:
            return percent, False
    return percent, True


def quiz_offerings(*, klass: Class, user) -> list[Offering]:
    """The class's quizzes the user may see: visible ones, or all of them for its staff."""
    offerings = Offering.objects.filter(klass=klass, quiz__isnull=False).select_related("quiz", "klass")
    if not is_staff_of(user, klass):
        offerings = offerings.filter(is_visible=True, quiz__is_published=True)
    return list(offerings)


def with_terms(attempts: list[Attempt], terms: LearnerTerms) -> None:
    """Give attempts of one learner in one offering the terms read once for all of them."""
    for attempt in attempts:
        attempt.__dict__["terms"] = terms


def quizzes_progress(*, klass: Class, user) -> list[QuizProgress]:
    """Each quiz of the class with the user's progress in it (the class page)."""
    offerings = quiz_offerings(klass=klass, user=user)
    by_offering: dict[int, list[Attempt]] = {}
    if user.is_authenticated:
        for attempt in Attempt.objects.filter(learner=user, offering__in=offerings):
            by_offering.setdefault(attempt.offering_id, []).append(attempt)
    now = timezone.now()
    progress = []
    extensions = {}
    if user.is_authenticated:
        extensions = {e.offering_id: e for e in Extension.objects.filter(learner=user, offering__in=offerings)}
    for offering in offerings:
        attempts = by_offering.get(offering.pk, [])
        for attempt in attempts:
            attempt.offering = offering  # the marks options are read from it; no query per attempt
            attempt.quiz = offering.quiz  # type: ignore[assignment]
        with_terms(attempts, terms_with(offering=offering, extension=extensions.get(offering.pk)))
        progress.append(
            QuizProgress(
                offering=offering,
                attempts=len(attempts),
                in_progress=any(a.status == Attempt.Status.IN_PROGRESS for a in attempts),
                final_percent=learner_final_percent(offering=offering, attempts=attempts, now=now),
                pending_review=any(a.pending_review for a in attempts),
                submitted=sum(a.status == Attempt.Status.SUBMITTED for a in attempts),
            )
        )
    return progress


def quiz_offering_get(*, class_id: int, slug: str, user) -> Offering:
    """The quiz `slug` as class `class_id` offers it, for a member of that class (see
    classes.decorators.offering_for_viewer)."""
    return offering_for_viewer(class_id=class_id, user=user, quiz__slug=slug)


def learner_attempts(*, offering: Offering, user) -> list[Attempt]:
    return list(Attempt.objects.filter(offering=offering, learner=user).order_by("number"))


def attempt_for_viewer(*, attempt_id: int, user) -> Attempt:
    """The learner's own attempt, or any attempt of a class for its teachers and assistants;
    404 for everyone else."""
    try:
        # get() and not filter().first(): first() adds an ORDER BY that costs a third of the query.
        attempt = Attempt.objects.select_related("quiz", "offering", "offering__klass").get(pk=attempt_id)
    except Attempt.DoesNotExist:
        raise Http404 from None
    if attempt.learner_id == user.pk:
        attempt.learner = user  # already loaded by the session: no join, no query
    elif is_staff_of(user, attempt.offering.klass):
        attempt.learner  # noqa: B018 - instructors' pages name the learner; one query, as the join was
    else:
        raise Http404
    return attempt


@dataclass
class QuestionView:
    number: int
    question: Question
    choices: list[Choice]
    answer: Answer | None
    selected_ids: set
    # Matching: the answer texts offered for every stem, in this attempt's order.
    options: list[str] = field(default_factory=list)
    # Set by the result page: what it may show of the answer's feedback and review.
    command_feedback: list[str] = field(default_factory=list)
    review: Review | None = None
    result: object = None  # quizzes.results.KindResult for the typed kinds and matching

    @property
    def answered(self) -> bool:
        if self.answer is None:
            return False
        return _is_answered(self.question.kind, self.answer.text, bool(self.selected_ids), self.answer.response)

    @property
    def stems(self) -> list[Choice]:
        """Matching: the pairs with a stem (the others are distractors), in this attempt's order."""
        return [choice for choice in self.choices if choice.text]


def _is_answered(kind: str, text: str, picked: bool, response: dict) -> bool:
    if kind in ("single", "multiple"):
        return picked
    if kind == "matching":
        return bool(response)
    return bool(text.strip())


def matching_options(*, attempt: Attempt, question_id: int, by_id: dict[int, Choice]) -> list[str]:
    """The answers a matching question offers for each stem in this attempt: every distinct
    answer text once, distractors included, in the order fixed when the attempt started
    (services.matching_answer_orders); alphabetical for an attempt that has none stored."""
    order = attempt.choice_order.get(f"{question_id}:answers")
    if order is None:
        return sorted(offered_answers([(pk, c.match_text) for pk, c in by_id.items()]))
    ids = [cid for cid in order if cid in by_id] + [cid for cid in by_id if cid not in order]
    return offered_answers([(cid, by_id[cid].match_text) for cid in ids])


# The questions and choices of a quiz, per process, keyed by the quiz's updated_at: any save or
# delete of a question or choice touches it (quizzes.signals), and so does any save of the quiz
# itself, so a changed quiz is never served from here. The attempt page reads this on every
# load by every learner of a class; without it the two queries and ~50 model instances were
# about a third of the page's time.
_STRUCTURE_CACHE_SIZE = 16
_structure_cache: "OrderedDict[tuple, dict[int, tuple[Question, dict[int, Choice]]]]" = OrderedDict()
_structure_lock = threading.Lock()


def quiz_structure(*, quiz: Quiz) -> dict[int, tuple[Question, dict[int, Choice]]]:
    """{question id: (question, {choice id: choice})}, shared read-only between requests."""
    key = (quiz.pk, quiz.updated_at)
    with _structure_lock:
        found = _structure_cache.get(key)
        if found is not None:
            _structure_cache.move_to_end(key)
            return found
    structure = {
        q.pk: (q, {c.pk: c for c in q.choices.all()})
        for q in Question.objects.filter(quiz_id=quiz.pk).prefetch_related("choices")
    }
    with _structure_lock:
        _structure_cache[key] = structure
        while len(_structure_cache) > _STRUCTURE_CACHE_SIZE:
            _structure_cache.popitem(last=False)
    return structure


def attempt_questions(*, attempt: Attempt, with_reviews: bool = True) -> list[QuestionView]:
    """The attempt's questions and choices in the order fixed when it started, with answers
    (and their reviews unless the page has no use for them)."""
    structure = quiz_structure(quiz=attempt.quiz)
    answers_qs = Answer.objects.filter(attempt=attempt).prefetch_related("selected")
    if with_reviews:
        # The saved revision's levels: what a released review shows (the draft's are the instructor's).
        # In the rubric's order: by criterion, not by each level's place within its criterion.
        levels = Level.objects.select_related("criterion").order_by("criterion__position", "criterion_id", "position")
        answers_qs = answers_qs.select_related("review").prefetch_related(
            Prefetch("review__revision_levels", queryset=levels)
        )
    answers = {a.question_id: a for a in answers_qs}
    views = []
    for number, question_id in enumerate((qid for qid in attempt.question_order if qid in structure), start=1):
        question, by_id = structure[question_id]
        order = attempt.choice_order.get(str(question_id), list(by_id))
        choices = [by_id[cid] for cid in order if cid in by_id] + [c for cid, c in by_id.items() if cid not in order]
        answer = answers.get(question_id)
        selected = {c.pk for c in answer.selected.all()} if answer else set()
        options = (
            matching_options(attempt=attempt, question_id=question_id, by_id=by_id)
            if question.kind == Question.Kind.MATCHING
            else []
        )
        views.append(
            QuestionView(
                number=number,
                question=question,
                choices=choices,
                answer=answer,
                selected_ids=selected,
                options=options,
            )
        )
    return views


def attempt_progress(*, attempt: Attempt) -> tuple[int, int]:
    """(answered, total) as attempt_questions would count them, in two small queries: the
    autosave answers with this on every click and needs nothing else of the page."""
    total = Question.objects.filter(pk__in=attempt.question_order).count()
    rows = (
        Answer.objects.filter(attempt=attempt, question_id__in=attempt.question_order)
        .annotate(picked=Count("selected"))
        .values_list("question__kind", "text", "picked", "response")
    )
    answered = sum(_is_answered(kind, text, bool(picked), response) for kind, text, picked, response in rows)
    return answered, total


def has_attempt_in_progress(*, quiz_id: int, learner_id: int) -> bool:
    """Whether the learner is taking an attempt of this quiz, in any class: what one attempt
    reveals must not be copied into another, and the same quiz offered in two classes is the
    same questions."""
    return Attempt.objects.filter(quiz_id=quiz_id, learner_id=learner_id, status=Attempt.Status.IN_PROGRESS).exists()


def can_reveal(*, attempt: Attempt, now=None, in_progress: bool | None = None) -> bool:
    """May this learner see the correct answers, explanations, right/wrong and reviews of this
    attempt now? Never while they are taking an attempt of the same quiz: what one attempt
    shows must not be copied into another."""
    if attempt.status != Attempt.Status.SUBMITTED:
        return False
    if in_progress is None:
        in_progress = has_attempt_in_progress(quiz_id=attempt.quiz_id, learner_id=attempt.learner_id)
    if in_progress:
        return False
    offering = attempt.offering
    now = now or timezone.now()
    # The learner's own close date and attempts: an extension holds the key back until they,
    # too, are done.
    terms = attempt.terms
    closed = terms.has_closed(now)
    if offering.reveal_answers == Offering.Reveal.IMMEDIATELY:
        return True
    if offering.reveal_answers == Offering.Reveal.AFTER_CLOSE:
        return closed
    # After the last attempt: when every allowed attempt is used (or the quiz has closed).
    used = Attempt.objects.filter(
        offering=offering, learner_id=attempt.learner_id, status=Attempt.Status.SUBMITTED
    ).count()
    return closed or (terms.attempts_allowed > 0 and used >= terms.attempts_allowed)


# Moodle's "immediately after the attempt": within two minutes of finishing it.
IMMEDIATELY_SECONDS = 120


def review_moment(*, attempt: Attempt, now=None, in_progress: bool | None = None) -> str:
    """Which of the quiz's marks options applies to this attempt now: the name of its field.
    Decided in Moodle's order (quiz_attempt_state): during, after close, immediately after,
    later while open; so an attempt finished by the close is in the "after close" moment."""
    now = now or timezone.now()
    if in_progress is None:
        in_progress = has_attempt_in_progress(quiz_id=attempt.quiz_id, learner_id=attempt.learner_id)
    if attempt.status != Attempt.Status.SUBMITTED or in_progress:
        return "marks_during"
    if attempt.terms.has_closed(now):
        return "marks_closed"
    if attempt.submitted_at and (now - attempt.submitted_at).total_seconds() < IMMEDIATELY_SECONDS:
        return "marks_immediately"
    return "marks_open"


def marks_visible(*, attempt: Attempt, now=None, user=None, in_progress: bool | None = None) -> bool:
    """May the score, the per-question marks and the totals of this attempt be shown? Always to
    the class's teachers and assistants; to the learner as the marks option of the moment says."""
    if user is not None and user.pk != attempt.learner_id and is_staff_of(user, attempt.offering.klass):
        return True
    return bool(getattr(attempt.offering, review_moment(attempt=attempt, now=now, in_progress=in_progress)))


def learner_final_percent(*, offering: Offering, attempts: list[Attempt], now=None) -> float | None:
    """The quiz grade as the learner may see it: none while the marks of any attempt it comes
    from are hidden (a grade built from the visible ones only would still tell the hidden)."""
    in_progress = any(a.status == Attempt.Status.IN_PROGRESS for a in attempts)
    submitted = [a for a in attempts if a.status == Attempt.Status.SUBMITTED]
    if not all(marks_visible(attempt=a, now=now, in_progress=in_progress) for a in submitted):
        return None
    return final_percent(offering=offering, attempts=attempts)


@dataclass(frozen=True)
class ChoiceStat:
    choice: Choice
    picks: int
    share: float


@dataclass(frozen=True)
class ResponseStat:
    """A typed response (normalised) as often as it was given, and the credit it earned (0..1)."""

    text: str
    count: int
    credit: float


@dataclass(frozen=True)
class StemStat:
    """A matching question's stem: how many answered it with its own answer."""

    choice: Choice
    right: int
    share: float


@dataclass(frozen=True)
class QuestionStat:
    question: Question
    answered: int
    correct: int
    choices: list[ChoiceStat]
    # A question of a random draw's pool: how many of the `attempts` submitted drew it (its
    # answers come from those only); None for a question every attempt has.
    drawn: int | None = None
    attempts: int = 0
    responses: list[ResponseStat] = field(default_factory=list)  # short answer, numerical: the top ones
    stems: list[StemStat] = field(default_factory=list)  # matching

    @property
    def percent_correct(self) -> float:
        return 100 * self.correct / self.answered if self.answered else 0.0


def quiz_question_stats(*, offering: Offering) -> list[QuestionStat]:
    """Per question, over the class's submitted attempts: how many got it right and how often
    each choice was picked (a distractor nobody picks is a weak one)."""
    stats = []
    quiz = offering.quiz
    assert quiz is not None
    submitted = Answer.objects.filter(attempt__offering=offering, attempt__status=Attempt.Status.SUBMITTED)
    questions = list(quiz.questions.prefetch_related("choices"))
    in_pools = {q.pk for _draw, pool in quiz.draw_pools(questions) for q in pool}
    orders = list(
        Attempt.objects.filter(offering=offering, status=Attempt.Status.SUBMITTED).values_list(
            "question_order", flat=True
        )
    )
    drawn_by = Counter(question_id for order in orders for question_id in order)
    for question in questions:
        answers = submitted.filter(question=question)
        answered = answers.count()
        correct = answers.filter(auto_score__gte=question.points).count() if question.is_auto_scored else 0
        drawn = drawn_by[question.pk] if question.pk in in_pools else None
        if question.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.NUMERICAL, Question.Kind.MATCHING):
            stats.append(
                _typed_stat(question, answers, answered=answered, correct=correct, drawn=drawn, attempts=len(orders))
            )
            continue
        picks = dict(
            Choice.objects.filter(question=question, answers__in=answers)
            .values_list("pk")
            .annotate(n=Count("answers"))
            .values_list("pk", "n")
        )
        choices = [
            ChoiceStat(choice=c, picks=picks.get(c.pk, 0), share=(picks.get(c.pk, 0) / answered if answered else 0.0))
            for c in question.choices.all()
        ]
        stats.append(
            QuestionStat(
                question=question,
                answered=answered,
                correct=correct,
                choices=choices,
                drawn=drawn,
                attempts=len(orders),
            )
        )
    return stats


TOP_RESPONSES = 5


def normalize_response(question: Question, text: str) -> str:
    """A typed response as the statistics group it: spaces collapsed; case folded where it does
    not count; a numerical one with a decimal point and its unit after one space."""
    text = normalize_text(text)
    if question.kind == Question.Kind.NUMERICAL:
        return re.sub(r"^([+-]?[\d.eE+-]+)\s*", r"\1 ", text.replace(",", ".")).strip()
    return text if question.case_sensitive else text.casefold()


def _typed_stat(
    question: Question, answers, *, answered: int, correct: int, drawn: int | None, attempts: int
) -> QuestionStat:
    if question.kind == Question.Kind.MATCHING:
        right: Counter[str] = Counter()
        for feedback in answers.values_list("feedback", flat=True):
            right.update(str(entry.get("choice")) for entry in feedback or [] if entry.get("right"))
        stems = [
            StemStat(choice=c, right=right[str(c.pk)], share=right[str(c.pk)] / answered if answered else 0.0)
            for c in question.choices.all()
            if c.text
        ]
        return QuestionStat(
            question=question,
            answered=answered,
            correct=correct,
            choices=[],
            stems=stems,
            drawn=drawn,
            attempts=attempts,
        )
    counts: Counter[str] = Counter()
    credit: dict[str, list[float]] = {}
    for text, score in answers.exclude(text="").values_list("text", "auto_score"):
        key = normalize_response(question, text)
        counts[key] += 1
        credit.setdefault(key, []).append((score or 0.0) / question.points if question.points else 0.0)
    responses = [
        ResponseStat(text=text, count=count, credit=sum(credit[text]) / len(credit[text]))
        for text, count in counts.most_common(TOP_RESPONSES)
    ]
    return QuestionStat(
        question=question,
        answered=answered,
        correct=correct,
        choices=[],
        responses=responses,
        drawn=drawn,
        attempts=attempts,
    )


# -- similarity of essay answers (a hint for the teacher; it reads, it never grades) ----------

SIMILAR_PAIRS_SHOWN = 20
# An answer of fewer words says too little to be alike another by more than chance.
MIN_ESSAY_WORDS = 15
# Of an answer, what is compared and shown (answers are stored up to 20,000 characters).
MAX_ESSAY_CHARS = 64_000


@dataclass(frozen=True)
class SimilarAnswers:
    first: Answer
    second: Answer
    score: float  # 0..1

    @property
    def percent(self) -> int:
        return round(100 * self.score)


@dataclass(frozen=True)
class EssaySimilarity:
    pairs: list[SimilarAnswers]  # the most alike first
    learners: int  # learners with an answer to the question in this class
    too_short: int  # of them, those whose answer is shorter than MIN_ESSAY_WORDS words
    compared: int  # of them, those with something of their own beyond the statement and the common ground
    ranking: Ranking[int]  # by answer id


def essay_question_of(*, offering: Offering, question_id: int) -> Question | None:
    """The essay question `question_id` of the offering's quiz, or None."""
    if offering.quiz_id is None:
        return None
    return Question.objects.filter(pk=question_id, quiz_id=offering.quiz_id, kind=Question.Kind.ESSAY).first()


def essay_latest_answers(*, offering: Offering, question: Question) -> list[Answer]:
    """Per learner of the offering's class, their latest submitted answer to the question
    (the latest attempt that answered it), in the order of the learners' ids."""
    rows = (
        essay_answers(klass=offering.klass, question=question)
        .filter(attempt__offering=offering)
        .order_by("attempt__learner_id", "-attempt__submitted_at", "-attempt__number")
    )
    latest: dict[int, Answer] = {}
    for answer in rows:
        latest.setdefault(answer.attempt.learner_id, answer)
    return list(latest.values())


def _essay_shingles(answer: Answer, question: Question) -> frozenset[str]:
    text = answer.text[:MAX_ESSAY_CHARS]
    if len(normalize_words(text)) < MIN_ESSAY_WORDS:
        return frozenset()
    return text_shingles(text, ignore=[question.text])


def essay_similarity(*, offering: Offering, question: Question, limit: int = SIMILAR_PAIRS_SHOWN) -> EssaySimilarity:
    """The class's most alike pairs of answers to an essay question: each learner's latest
    submitted answer, less what it copied from the statement and what most of the class wrote."""
    answers = essay_latest_answers(offering=offering, question=question)
    documents = {answer.pk: _essay_shingles(answer, question) for answer in answers}
    too_short = sum(len(normalize_words(a.text[:MAX_ESSAY_CHARS])) < MIN_ESSAY_WORDS for a in answers)
    ranking = rank_pairs(documents, limit=limit)
    by_id = {answer.pk: answer for answer in answers}
    pairs = [SimilarAnswers(by_id[p.first], by_id[p.second], p.score) for p in ranking.pairs]
    return EssaySimilarity(
        pairs=pairs, learners=len(answers), too_short=too_short, compared=ranking.compared, ranking=ranking
    )


@dataclass(frozen=True)
class AnswersCompared:
    first: Answer
    second: Answer
    score: float
    sides: SideBySide

    @property
    def percent(self) -> int:
        return round(100 * self.score)


def essay_similarity_pair(
    *, offering: Offering, question: Question, first_id: int, second_id: int
) -> AnswersCompared | None:
    """Two answers to the question in the offering, sentence by sentence, with their score as
    the class's list counts it; None unless both are submitted answers of this offering."""
    found = {
        a.pk: a
        for a in essay_answers(klass=offering.klass, question=question).filter(
            attempt__offering=offering, pk__in=[first_id, second_id]
        )
    }
    if first_id == second_id or len(found) != 2:
        return None
    first, second = found[first_id], found[second_id]
    ranking = essay_similarity(offering=offering, question=question, limit=0).ranking
    score = ranking.score(_essay_shingles(first, question), _essay_shingles(second, question))
    left, right = sentences(first.text[:MAX_ESSAY_CHARS]), sentences(second.text[:MAX_ESSAY_CHARS])
    sides = side_by_side(
        left,
        right,
        left_keys=[" ".join(normalize_words(s)) for s in left],
        right_keys=[" ".join(normalize_words(s)) for s in right],
    )
    return AnswersCompared(first=first, second=second, score=score, sides=sides)


@dataclass(frozen=True)
class DrawStat:
    """A random draw as the statistics page states it: `count` of the pool's `pool_size`."""

    category: str
    count: int
    pool_size: int


def quiz_draws(*, offering: Offering) -> list[DrawStat]:
    quiz = offering.quiz
    assert quiz is not None
    return [
        DrawStat(category=draw.category, count=min(draw.count, len(pool)), pool_size=len(pool))
        for draw, pool in quiz.draw_pools()
    ]


def quiz_data(*, quiz: Quiz) -> QuizData:
    """The quiz as the importers' neutral model (what quiz_import stores, read back), for the
    exports: `dump_moodle_xml`, `dump_yaml`. Questions and choices in their order."""
    questions = [
        QuestionData(
            key=q.key,
            kind=cast(QuestionKind, q.kind),
            text=q.text,
            points=q.points,
            explanation=q.explanation,
            expected_command=q.expected_command,
            position=q.position + 1,
            name=q.name,
            category=q.category,
            case_sensitive=q.case_sensitive,
            units=[UnitData(name=u["name"], multiplier=u.get("multiplier", 1.0)) for u in q.units],
            penalty=q.penalty,
            feedback_correct=q.feedback_correct,
            feedback_partial=q.feedback_partial,
            feedback_incorrect=q.feedback_incorrect,
            choices=[
                ChoiceData(
                    key=c.key,
                    text=c.text,
                    is_correct=c.is_correct,
                    fraction=c.fraction,
                    feedback=c.feedback,
                    tolerance=c.tolerance,
                    match=c.match_text,
                )
                for c in q.choices.all()
            ],
        )
        for q in quiz.questions.prefetch_related("choices")
    ]
    settings = dict(quiz.settings_defaults, is_practice=True) if quiz.is_practice else dict(quiz.settings_defaults)
    return QuizData(
        title=quiz.title,
        slug=quiz.slug,
        description=quiz.description,
        questions=questions,
        settings=settings,
        draws=[DrawData(category=d.category, count=d.count) for d in quiz.draws.all()],
    )
