"""What the result page shows of a short-answer, numerical or matching answer, in the reader's
language: the learner's response, what the scoring found (quizzes.scoring's feedback entries),
Moodle's combined feedback and, only when the key may be revealed, the accepted answers."""

from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from .importers.validation import parse_number
from .models import Question
from .selectors import QuestionView

TYPED_KINDS = (Question.Kind.SHORT_ANSWER, Question.Kind.NUMERICAL, Question.Kind.MATCHING)


@dataclass
class PairResult:
    stem: str
    given: str
    right: bool | None  # None: not to be told yet
    expected: str = ""  # the right answer, when the key may be revealed


@dataclass
class KindResult:
    response: str = ""  # short answer, numerical: what the learner typed
    pairs: list[PairResult] = field(default_factory=list)  # matching
    notes: list[str] = field(default_factory=list)  # how the response was read (unit, number)
    feedback: list[str] = field(default_factory=list)  # the author's feedback for what matched
    combined: str = ""  # Moodle's combined feedback, chosen by the score
    accepted: list[str] = field(default_factory=list)  # the key


def combined_feedback(question: Question, points: float | None) -> str:
    """feedback_correct / partial / incorrect, as the score earned says."""
    if points is None:
        return ""
    if points >= question.points:
        return question.feedback_correct
    return question.feedback_partial if points > 0 else question.feedback_incorrect


def _number(value: float) -> str:
    """3.5 -> "3,5" in pt-BR; no trailing zeros ("2", not "2,0")."""
    return formats.localize(int(value)) if float(value).is_integer() else formats.localize(value)


def accepted_answers(question: Question) -> list[str]:
    """The key as the learner reads it: short answer's full-credit answers; numerical's value ±
    tolerance in the first unit; matching's right pairs."""
    choices = list(question.choices.all())
    if question.kind == Question.Kind.MATCHING:
        return [f"{c.text} → {c.match_text}" for c in choices if c.text]
    full = [c for c in choices if c.fraction >= 1]
    if question.kind == Question.Kind.SHORT_ANSWER:
        return [c.text for c in full]
    unit = f" {question.units[0]['name']}" if question.units else ""
    out = []
    for c in full:
        if c.text.strip() == "*":
            out.append(_("any number"))
        else:
            value = parse_number(c.text)
            shown = _number(value) if value is not None else c.text
            out.append(f"{shown} ± {_number(c.tolerance)}{unit}" if c.tolerance else f"{shown}{unit}")
    return out


def _note(entry: dict) -> str:
    if entry.get("code") == "not_a_number":
        return _("Your answer was not read as a number.")
    if entry.get("code") == "unknown_unit":
        units = ", ".join(entry.get("units") or [])
        if not units:
            return _("Unknown unit '%(unit)s': this question takes no unit.") % {"unit": entry.get("unit", "")}
        return _("Unknown unit '%(unit)s'; units accepted: %(units)s.") % {
            "unit": entry.get("unit", ""),
            "units": units,
        }
    return ""


def kind_result(view: QuestionView, *, reveal: bool, marks: bool) -> KindResult:
    """The result block of one answer. Marks (the score, a stem right or wrong, how the
    response was read) follow `marks`; the author's feedback, the combined feedback and the key
    follow `reveal`, as the choices' feedback and the explanations do."""
    question, answer = view.question, view.answer
    entries = list(answer.feedback or []) if answer is not None else []
    result = KindResult(response=answer.text if answer is not None else "")
    by_id = {c.pk: c for c in view.choices}
    if question.kind == Question.Kind.MATCHING:
        right = {entry.get("choice"): entry.get("right") for entry in entries if entry.get("code") == "stem"}
        response = answer.response if answer is not None else {}
        for stem in view.stems:
            result.pairs.append(
                PairResult(
                    stem=stem.text,
                    given=response.get(str(stem.pk), ""),
                    right=bool(right.get(stem.pk)) if reveal and marks else None,
                    expected=stem.match_text if reveal else "",
                )
            )
    if marks:
        result.notes = [note for note in (_note(entry) for entry in entries) if note]
    if reveal:
        for entry in entries:
            choice = by_id.get(entry.get("choice")) if entry.get("code") == "accepted" else None
            if choice is not None and choice.feedback:
                result.feedback.append(choice.feedback)
        if marks:
            result.combined = combined_feedback(question, answer.auto_score if answer is not None else 0.0)
        result.accepted = accepted_answers(question)
    return result
