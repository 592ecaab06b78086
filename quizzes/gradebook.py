"""Grade exports: per quiz (per-question scores and the final grade) and a combined gradebook
with the labs' best scores. Rows hold typed values; core.exports writes them as CSV or .xlsx."""

from django.contrib.auth import get_user_model
from django.db.models import Max

from core.exports import Percent
from labs.models import Lab, Submission
from labs.selectors import lab_spec_or_none

from .models import Attempt, Question, Quiz
from .selectors import final_percent


def _question_score(question: Question, answer) -> float | None:
    if answer is None:
        return 0.0
    if question.kind == Question.Kind.ESSAY:
        review = getattr(answer, "review", None)
        return review.revision_score if review is not None and review.released_at else None
    return answer.auto_score or 0.0


def quiz_grades(*, quiz: Quiz) -> tuple[list[str], list[list]]:
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
    for attempt in Attempt.objects.filter(quiz=quiz).select_related("learner").prefetch_related("answers__review"):
        attempts_by_learner.setdefault(attempt.learner_id, []).append(attempt)
    for attempts in attempts_by_learner.values():
        learner = attempts[0].learner
        submitted = sorted((a for a in attempts if a.status == Attempt.Status.SUBMITTED), key=lambda a: a.number)
        chosen = _grading_attempt(quiz, submitted)
        per_question = []
        for question in questions:
            if quiz.grading_method == Quiz.GradingMethod.AVERAGE and submitted:
                scores = [_question_score(question, _answer(a, question)) for a in submitted]
                known = [s for s in scores if s is not None]
                per_question.append(round(sum(known) / len(known), 4) if known else None)
            else:
                per_question.append(_question_score(question, _answer(chosen, question)) if chosen else None)
        percent = final_percent(quiz=quiz, attempts=submitted)
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


def _answer(attempt: Attempt, question: Question):
    return next((a for a in attempt.answers.all() if a.question_id == question.pk), None)


def _grading_attempt(quiz: Quiz, submitted: list[Attempt]) -> Attempt | None:
    if not submitted:
        return None
    if quiz.grading_method == Quiz.GradingMethod.LAST:
        return submitted[-1]
    return max(submitted, key=lambda a: (a.percent or 0, -a.number))


def combined() -> tuple[list[str], list[list]]:
    quizzes = list(Quiz.objects.filter(is_practice=False))  # practice does not count
    labs = list(Lab.objects.all())
    # Each column says its unit: a quiz's final grade in percent, a lab's best counted score in
    # points of the lab's maximum.
    header = ["username", "name", *[f"quiz:{q.slug} (%)" for q in quizzes], *[_lab_column(lab) for lab in labs]]
    best = {
        (row["learner_id"], row["lab_id"]): row["best"]
        for row in Submission.objects.filter(counted=True).values("learner_id", "lab_id").annotate(best=Max("score"))
    }
    attempts: dict[tuple[int, int], list[Attempt]] = {}
    for attempt in Attempt.objects.filter(status=Attempt.Status.SUBMITTED):
        attempts.setdefault((attempt.learner_id, attempt.quiz_id), []).append(attempt)
    learner_ids = {k[0] for k in best} | {k[0] for k in attempts}
    rows = []
    for learner in get_user_model().objects.filter(pk__in=learner_ids).order_by("username"):
        quiz_cells = []
        for quiz in quizzes:
            percent = final_percent(quiz=quiz, attempts=attempts.get((learner.pk, quiz.pk), []))
            quiz_cells.append(None if percent is None else Percent(percent))
        lab_cells = [best.get((learner.pk, lab.pk)) for lab in labs]
        rows.append([learner.get_username(), learner.get_full_name(), *quiz_cells, *lab_cells])
    return header, rows


def _lab_column(lab: Lab) -> str:
    spec = lab_spec_or_none(lab=lab)
    return f"lab:{lab.slug} (points of {spec.max_score})" if spec else f"lab:{lab.slug} (points)"
