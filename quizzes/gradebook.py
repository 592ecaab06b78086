"""Grade exports: per quiz (per-question scores and the final grade) and a combined gradebook
with the labs' best scores. Rows hold typed values; core.exports writes them as CSV or .xlsx."""

from typing import Any

from django.contrib.auth import get_user_model

from classes.models import Class, Offering, Role
from core.exports import Percent
from labs.models import Lab
from labs.selectors import lab_grade_submissions, lab_spec_or_none

from .models import Attempt, Question
from .selectors import final_percent


def _question_score(question: Question, answer) -> float | None:
    if answer is None:
        return 0.0
    if question.kind == Question.Kind.ESSAY:
        review = getattr(answer, "review", None)
        return review.revision_score if review is not None and review.released_at else None
    return answer.auto_score or 0.0


def quiz_grades(*, offering: Offering) -> tuple[list[str], list[list]]:
    """One row per learner of the class who attempted the quiz there."""
    quiz = offering.quiz
    assert quiz is not None
    questions = list(quiz.questions.all())
    header = [
        "username",
        "name",
        "attempts",
        *[f"{q.key} ({q.points:g})" for q in questions],
        "final_grade_percent",
        "pending_review",
    ]
    rows = []
    attempts_by_learner: dict[int, list[Attempt]] = {}
    attempts_qs = Attempt.objects.filter(offering=offering).select_related("learner")
    for attempt in attempts_qs.prefetch_related("answers__review"):
        attempts_by_learner.setdefault(attempt.learner_id, []).append(attempt)
    for attempts in attempts_by_learner.values():
        learner = attempts[0].learner
        submitted = sorted((a for a in attempts if a.status == Attempt.Status.SUBMITTED), key=lambda a: a.number)
        chosen = _grading_attempt(offering, submitted)
        per_question = []
        for question in questions:
            # A question of a random draw scores only in the attempts that drew it: blank, not 0, elsewhere.
            if offering.grading_method == Offering.GradingMethod.AVERAGE and submitted:
                scores = [_question_score(question, _answer(a, question)) for a in submitted if _drew(a, question)]
                known = [s for s in scores if s is not None]
                per_question.append(round(sum(known) / len(known), 4) if known else None)
            else:
                drew = chosen is not None and _drew(chosen, question)
                per_question.append(_question_score(question, _answer(chosen, question)) if chosen and drew else None)
        percent = final_percent(offering=offering, attempts=submitted)
        rows.append(
            [
                learner.get_username(),
                learner.get_full_name(),
                len(attempts),
                *per_question,
                None if percent is None else Percent(percent),
                "yes" if any(a.pending_review for a in submitted) else "no",
            ]
        )
    rows.sort(key=lambda row: str(row[0]))
    return header, rows


def _drew(attempt: Attempt, question: Question) -> bool:
    return question.pk in attempt.question_order


def _answer(attempt: Attempt, question: Question):
    return next((a for a in attempt.answers.all() if a.question_id == question.pk), None)


def _grading_attempt(offering: Offering, submitted: list[Attempt]) -> Attempt | None:
    if not submitted:
        return None
    if offering.grading_method == Offering.GradingMethod.LAST:
        return submitted[-1]
    return max(submitted, key=lambda a: (a.percent or 0, -a.number))


def combined(*, klass: Class) -> tuple[list[str], list[list]]:
    """The class's gradebook: every learner of the class, each graded quiz's final grade and
    each lab's grade (its best or latest counted score, as the class says; late penalty
    applied) with the penalty it carried."""
    offerings = list(Offering.objects.filter(klass=klass).select_related("klass", "quiz", "lab"))
    quiz_offerings = [o for o in offerings if o.quiz is not None and not o.quiz.is_practice]  # practice does not count
    lab_offerings = [o for o in offerings if o.lab is not None]
    # Each column says its unit: a quiz's final grade in percent, a lab's best counted score in
    # points of the lab's maximum, the late penalty that score carries in percent.
    header = ["username", "name"]
    header += [f"quiz:{o.slug} (%)" for o in quiz_offerings]
    for offering in lab_offerings:
        assert offering.lab is not None
        header += [_lab_column(offering.lab), f"lab:{offering.slug} late penalty (%)"]
    best = lab_grade_submissions(offerings=lab_offerings)
    attempts: dict[tuple[int, int], list[Attempt]] = {}
    for attempt in Attempt.objects.filter(offering__in=quiz_offerings, status=Attempt.Status.SUBMITTED):
        attempts.setdefault((attempt.learner_id, attempt.offering_id), []).append(attempt)
    learners = (
        get_user_model().objects.filter(memberships__klass=klass, memberships__role=Role.LEARNER).order_by("username")
    )
    rows = []
    for learner in learners:
        row: list[Any] = [learner.get_username(), learner.get_full_name()]
        for offering in quiz_offerings:
            percent = final_percent(offering=offering, attempts=attempts.get((learner.pk, offering.pk), []))
            row.append(None if percent is None else Percent(percent))
        for offering in lab_offerings:
            submission = best.get((learner.pk, offering.pk))
            if submission is None:
                row += [None, None]
            else:
                row += [submission.counted_score, Percent(100 * submission.late_penalty)]
        rows.append(row)
    return header, rows


def _lab_column(lab: Lab) -> str:
    spec = lab_spec_or_none(lab=lab)
    return f"lab:{lab.slug} (points of {spec.max_score})" if spec else f"lab:{lab.slug} (points)"
