"""A learner's grade on an offering as an LMS line item takes it: points of a maximum, and
only once it is final. Read from what the gradebook reads: a quiz's grade under its grading
method (quizzes.selectors.learner_quiz_grade), a lab's best or latest counted score with its
late penalty, as the class says (labs.selectors.lab_grade_submissions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from classes.models import Offering
from labs.selectors import lab_grade_submissions
from quizzes.selectors import learner_quiz_grade

from .services import score_maximum

PLACES = Decimal("0.001")  # ScoreSend stores three decimal places: values are compared as stored


@dataclass(frozen=True)
class LmsGrade:
    given: Decimal
    maximum: Decimal


def _points(value: float, maximum: Decimal) -> Decimal:
    given = Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_UP)
    return min(max(given, Decimal(0)), maximum)


def offering_grades(*, offering: Offering, learner_ids: Iterable[int]) -> dict[int, LmsGrade | None]:
    """{learner id: the grade to send, or None while there is none final to send}. A practice
    quiz has none: it does not count (as in the class's gradebook)."""
    ids = list(learner_ids)
    if offering.quiz_id:
        quiz = offering.quiz
        assert quiz is not None
        if quiz.is_practice:
            return dict.fromkeys(ids)
        maximum = Decimal(str(score_maximum(quiz=quiz))).quantize(PLACES)
        grades: dict[int, LmsGrade | None] = {}
        for learner_id in ids:
            percent, final = learner_quiz_grade(offering=offering, learner_id=learner_id)
            grades[learner_id] = (
                LmsGrade(given=_points(percent * float(maximum) / 100, maximum), maximum=maximum)
                if final and percent is not None
                else None
            )
        return grades
    assert offering.lab is not None
    maximum = Decimal(str(score_maximum(lab=offering.lab))).quantize(PLACES)
    chosen = lab_grade_submissions(offerings=[offering], learner_ids=ids)
    grades = {}
    for learner_id in ids:
        submission = chosen.get((learner_id, offering.pk))
        counted = submission.counted_score if submission is not None else None
        if submission is None or counted is None:
            grades[learner_id] = None
            continue
        # In the line item's points: the submission was graded out of its own version's maximum.
        scale = float(maximum) / float(submission.max_score or maximum)
        grades[learner_id] = LmsGrade(given=_points(counted * scale, maximum), maximum=maximum)
    return grades
