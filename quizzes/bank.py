"""Writes for a quiz's bank: a parsed quiz file (quizzes/importers) stored as a quiz, its
questions, choices and draws, updated by their keys; and the practice copy a file asks for."""

import dataclasses
from dataclasses import dataclass, field

from django.db import transaction

from classes.models import Offering

from .importers import QuizData
from .models import Choice, Draw, Question, Quiz


@dataclass
class ImportResult:
    quiz: Quiz
    created: bool
    questions_created: int = 0
    questions_updated: int = 0
    kept: list[str] = field(default_factory=list)  # in the database, gone from the file, but answered


# What a practice copy of a quiz is: as many attempts as the learner wants, the key and the
# explanations right after each one, and no place in the gradebook.
PRACTICE_SETTINGS = {
    "is_practice": True,
    "attempts_allowed": 0,
    "grading_method": Offering.GradingMethod.HIGHEST,
    "reveal_answers": Offering.Reveal.IMMEDIATELY,
    "marks_during": True,
    "marks_immediately": True,
    "marks_open": True,
    "marks_closed": True,
}


def practice_data(data: QuizData) -> QuizData | None:
    """The practice copy the file asks for: its questions, the practice settings."""
    if data.practice is None:
        return None
    return dataclasses.replace(
        data,
        slug=data.practice.slug,
        title=data.practice.title,
        description=data.practice.description or data.description,
        settings=dict(PRACTICE_SETTINGS),
        practice=None,
    )


@transaction.atomic
def quiz_import(*, data: QuizData) -> ImportResult:
    """Create or update the quiz and its questions by their keys: re-importing never duplicates.
    The file's settings are the defaults a class starts from when it adds the quiz; a class's
    own settings (its offering) are its teacher's, and a re-import never touches them."""
    defaults = dict(data.settings)
    is_practice = bool(defaults.pop("is_practice", False))
    quiz, created = Quiz.objects.get_or_create(
        slug=data.slug,
        defaults={
            "title": data.title,
            "description": data.description,
            "is_practice": is_practice,
            "settings_defaults": defaults,
        },
    )
    if not created:
        quiz.title, quiz.description, quiz.settings_defaults = data.title, data.description, defaults
        quiz.save(update_fields=["title", "description", "settings_defaults", "updated_at"])
    result = ImportResult(quiz=quiz, created=created)
    keys = []
    for position, item in enumerate(data.questions):
        keys.append(item.key)
        question, was_created = Question.objects.update_or_create(
            quiz=quiz,
            key=item.key,
            defaults={
                "kind": item.kind,
                "text": item.text,
                "points": item.points,
                "explanation": item.explanation,
                "expected_command": item.expected_command,
                "position": position,
                "name": item.name,
                "category": item.category,
                "case_sensitive": item.case_sensitive,
                "units": [{"name": unit.name, "multiplier": unit.multiplier} for unit in item.units],
                "penalty": item.penalty,
                "feedback_correct": item.feedback_correct,
                "feedback_partial": item.feedback_partial,
                "feedback_incorrect": item.feedback_incorrect,
            },
        )
        if was_created:
            result.questions_created += 1
        else:
            result.questions_updated += 1
        choice_keys = []
        for choice_position, choice in enumerate(item.choices):
            choice_keys.append(choice.key)
            Choice.objects.update_or_create(
                question=question,
                key=choice.key,
                defaults={
                    "text": choice.text,
                    "is_correct": choice.is_correct,
                    "fraction": choice.fraction,
                    "feedback": choice.feedback,
                    "position": choice_position,
                    "tolerance": choice.tolerance,
                    "match_text": choice.match,
                },
            )
        question.choices.exclude(key__in=choice_keys).filter(answers__isnull=True).delete()
    quiz.draws.all().delete()  # the file's draws replace the quiz's: attempts keep what they drew
    Draw.objects.bulk_create(
        Draw(quiz=quiz, category=draw.category, count=draw.count, position=index)
        for index, draw in enumerate(data.draws)
    )
    for stale in quiz.questions.exclude(key__in=keys):
        if stale.answers.exists():
            result.kept.append(stale.key)  # learners answered it: keep their history
        else:
            stale.delete()
    return result
