"""Essay reviews: claim, grade with a rubric, autosave, refuse stale saves, release, re-score."""

import hashlib
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from classes.models import Class
from classes.signals import grade_changed_send
from common.i18n import gettext_noop

from .importers import QuizImportError
from .importers.rubric import parse_rubrics
from .models import Answer, Attempt, Criterion, Level, Question, Quiz, Review, Rubric

CLAIM_MINUTES = 20


class ReviewConflict(ValueError):
    """Another instructor holds or changed this review; the message says who and what to do."""


# -- reads --------------------------------------------------------------------------------------


def essay_answers(*, klass: Class, quiz: Quiz | None = None, question: Question | None = None) -> QuerySet[Answer]:
    """Essay answers of the class's submitted attempts that have something to read."""
    qs = Answer.objects.filter(
        question__kind=Question.Kind.ESSAY, attempt__status=Attempt.Status.SUBMITTED, attempt__offering__klass=klass
    ).exclude(text__regex=r"^\s*$")
    if quiz is not None:
        qs = qs.filter(attempt__quiz=quiz)
    if question is not None:
        qs = qs.filter(question=question)
    return qs.select_related("attempt__quiz", "attempt__offering", "attempt__learner", "question")


def stable_order_key(answer: Answer) -> str:
    """A fixed pseudo-random order (not arrival order) so grading is not biased by who came first."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{answer.question_id}:{answer.pk}".encode()).hexdigest()


def review_counts(*, klass: Class, quiz: Quiz | None = None, question: Question | None = None) -> dict:
    answers = essay_answers(klass=klass, quiz=quiz, question=question)
    reviewed = answers.filter(review__is_complete=True)
    return {
        "total": answers.count(),
        "to_review": answers.exclude(review__is_complete=True).count(),
        "reviewed": reviewed.filter(review__released_at__isnull=True).count(),
        "released": reviewed.filter(review__released_at__isnull=False).count(),
    }


def _claim_fresh(review: Review, now) -> bool:
    return bool(
        review.claimed_by_id and review.claimed_at and now - review.claimed_at < timedelta(minutes=CLAIM_MINUTES)
    )


def _holder_name(review: Review) -> str:
    holder = review.claimed_by
    return (holder.get_full_name() or holder.get_username()) if holder is not None else ""


def next_answer_to_review(
    *, klass: Class, reviewer, quiz: Quiz | None = None, question: Question | None = None, now=None
) -> Answer | None:
    """The next unreviewed answer in the stable order that nobody else is grading right now."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=CLAIM_MINUTES)
    candidates = (
        essay_answers(klass=klass, quiz=quiz, question=question)
        .exclude(review__is_complete=True)
        .exclude(Q(review__claimed_at__gte=cutoff) & ~Q(review__claimed_by=reviewer))
    )
    ordered = sorted(candidates, key=lambda a: (a.question.quiz_id, a.question.position, stable_order_key(a)))
    return ordered[0] if ordered else None


def rubric_for(question: Question) -> Rubric | None:
    return Rubric.objects.filter(question=question).prefetch_related("criteria__levels").first()


# -- writes -------------------------------------------------------------------------------------


@transaction.atomic
def review_open(*, answer: Answer, reviewer, now=None) -> tuple[Review, str]:
    """Get the answer's review and claim it for the reviewer. Returns (review, holder name) where
    holder is '' when the reviewer holds the claim, else the name of who does."""
    now = now or timezone.now()
    review, _created = Review.objects.select_for_update().get_or_create(answer=answer)
    if _claim_fresh(review, now) and review.claimed_by_id != reviewer.pk:
        return review, _holder_name(review)
    review.claimed_by, review.claimed_at = reviewer, now
    review.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return review, ""


def _score(question: Question, levels: list[Level], adjustment: float) -> float:
    total = sum(level.points for level in levels) + adjustment
    return round(min(question.points, max(0.0, total)), 4)


@transaction.atomic
def review_save(
    *,
    review_id: int,
    reviewer,
    version: int,
    level_ids: list[int],
    adjustment: float,
    comment: str,
    complete: bool,
    now=None,
) -> Review:
    """Save the reviewer's grading; refuse a stale version or another instructor's claim."""
    now = now or timezone.now()
    # Only the review's row: PostgreSQL refuses FOR UPDATE on the nullable side of a join (claimed_by).
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("answer__question", "claimed_by")
        .get(pk=review_id)
    )
    if _claim_fresh(review, now) and review.claimed_by_id != reviewer.pk:
        raise ReviewConflict(
            _("%(name)s is grading this answer now; your changes were not saved.") % {"name": _holder_name(review)}
        )
    if review.version != version:
        raise ReviewConflict(
            _(
                "This review changed since you opened it (someone else saved it); reload to see the current version. Your changes were not saved."
            )
        )
    question = review.answer.question
    levels = list(
        Level.objects.filter(pk__in=level_ids, criterion__rubric__question=question).select_related("criterion")
    )
    per_criterion = {}
    for level in levels:
        per_criterion[level.criterion_id] = level  # at most one level per criterion
    levels = list(per_criterion.values())
    review.levels.set(levels)
    review.adjustment = adjustment
    review.comment = comment.replace("\x00", "")[:10_000]  # NUL: PostgreSQL refuses text holding one
    review.score = _score(question, levels, adjustment)
    review.version += 1
    review.claimed_by, review.claimed_at = reviewer, now
    fields = ["adjustment", "comment", "score", "version", "claimed_by", "claimed_at", "updated_at"]
    if complete:
        # Saved, not autosaved: a new revision, the one a release shows and the grade counts.
        review.is_complete, review.reviewer, review.reviewed_at = True, reviewer, now
        review.revision += 1
        review.revision_score, review.revision_adjustment, review.revision_comment = (
            review.score,
            review.adjustment,
            review.comment,
        )
        fields += [
            "is_complete",
            "reviewer",
            "reviewed_at",
            "revision",
            "revision_score",
            "revision_adjustment",
            "revision_comment",
        ]
    review.save(update_fields=fields)
    if complete:
        review.revision_levels.set(levels)
        if review.released_at:
            attempt_rescore(attempt=review.answer.attempt)
    return review


@transaction.atomic
def _releasable(*, klass: Class, quiz: Quiz, question: Question | None = None) -> QuerySet[Review]:
    reviews = Review.objects.filter(
        is_complete=True,
        released_at__isnull=True,
        answer__attempt__quiz=quiz,
        answer__attempt__offering__klass=klass,
    )
    if question is not None:
        reviews = reviews.filter(answer__question=question)
    return reviews


def release_preview(*, klass: Class, quiz: Quiz, question: Question | None = None) -> dict:
    """What a release would do now: how many complete reviews it shows, to how many learners."""
    reviews = _releasable(klass=klass, quiz=quiz, question=question)
    return {
        "reviews": reviews.count(),
        "learners": reviews.values("answer__attempt__learner").distinct().count(),
    }


def review_release(*, klass: Class, quiz: Quiz, question: Question | None = None, now=None) -> int:
    """Show the class's complete reviews (their last saved revision) to their learners; the
    attempts' grades become final."""
    now = now or timezone.now()
    reviews = _releasable(klass=klass, quiz=quiz, question=question)
    attempt_ids = set(reviews.values_list("answer__attempt_id", flat=True))
    count = reviews.update(released_at=now)
    for attempt in Attempt.objects.filter(pk__in=attempt_ids):
        attempt_rescore(attempt=attempt)
    return count


def attempt_rescore(*, attempt: Attempt) -> Attempt:
    """Automatic points plus released essay reviews; pending while an essay awaits release."""
    total, pending = 0.0, False
    for answer in attempt.answers.select_related("question", "review"):
        if answer.question.kind != Question.Kind.ESSAY:
            total += answer.auto_score or 0
            continue
        review = getattr(answer, "review", None)
        if review is not None and review.released_at and review.revision_score is not None:
            total += review.revision_score
        elif answer.text.strip():
            pending = True
    Attempt.objects.filter(pk=attempt.pk).update(score=round(total, 4), pending_review=pending)
    attempt.score, attempt.pending_review = round(total, 4), pending
    grade_changed_send(offering=attempt.offering, learner_ids=[attempt.learner_id])
    return attempt


@transaction.atomic
def level_set_points(*, level: Level, points: float) -> int:
    """Change a level's points and re-score every review that used it; returns how many changed."""
    Level.objects.filter(pk=level.pk).update(points=points)
    changed = 0
    reviews = (
        Review.objects.filter(Q(levels=level) | Q(revision_levels=level))
        .distinct()
        .select_related("answer__question", "answer__attempt")
        .prefetch_related("levels", "revision_levels")
    )
    for review in reviews:
        # Both the draft and the saved revision follow the level; only the revision is graded by.
        score = _score(review.answer.question, list(review.levels.all()), review.adjustment)
        revision_score = (
            _score(review.answer.question, list(review.revision_levels.all()), review.revision_adjustment)
            if review.revision
            else review.revision_score
        )
        if score == review.score and revision_score == review.revision_score:
            continue
        Review.objects.filter(pk=review.pk).update(
            score=score, revision_score=revision_score, version=review.version + 1
        )
        changed += 1
        if review.released_at and revision_score != review.revision_score:
            attempt_rescore(attempt=review.answer.attempt)
    return changed


@transaction.atomic
def rubric_import(*, question: Question, criteria: list[dict], snippets: list[str]) -> Rubric:
    """Create or replace a question's rubric from content (only while no review uses it)."""
    rubric, _created = Rubric.objects.get_or_create(question=question)
    if Review.objects.filter(
        Q(levels__criterion__rubric=rubric) | Q(revision_levels__criterion__rubric=rubric)
    ).exists():
        return rubric  # graded already: edit it in the admin, where level changes re-score
    rubric.criteria.all().delete()
    for position, item in enumerate(criteria):
        criterion = Criterion.objects.create(
            rubric=rubric, name=item["name"], description=item.get("description", ""), position=position
        )
        for level_position, level in enumerate(item["levels"]):
            Level.objects.create(
                criterion=criterion,
                name=level["name"],
                description=level.get("description", ""),
                points=float(level["points"]),
                position=level_position,
            )
    question.snippets.all().delete()
    for position, text in enumerate(snippets):
        question.snippets.create(text=text, position=position)
    return rubric


def rubrics_load(*, quiz: Quiz, path: Path) -> int:
    """Load `<quiz>.rubric.yaml` (schema in quizzes.importers.rubric): every key is checked
    before anything is stored, so a file with a mistake changes nothing."""
    rubrics = parse_rubrics(path.read_text(encoding="utf-8"), source=path.name)
    questions = {}
    for key in rubrics:
        question = quiz.questions.filter(key=key, kind=Question.Kind.ESSAY).first()
        if question is None:
            raise QuizImportError(
                gettext_noop("{key}: not an essay question of the quiz {quiz}."),
                source=path.name,
                key=key,
                quiz=quiz.slug,
            )
        questions[key] = question
    for key, spec in rubrics.items():
        rubric_import(
            question=questions[key],
            criteria=[criterion.model_dump() for criterion in spec.criteria],
            snippets=list(spec.snippets),
        )
    return len(rubrics)
