"""The neutral quiz data every importer produces and the Django side stores.

Plain dataclasses, no Django: parsers (lesson text, GIFT, Aiken, project YAML) fill them,
`validation.finalize` checks them in one place, and the database layer maps them to models.
Keys are stable identifiers so that a re-import updates questions instead of duplicating them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QuestionKind = Literal["single", "multiple", "essay", "command"]
KINDS: tuple[str, ...] = ("single", "multiple", "essay", "command")


@dataclass
class ChoiceData:
    key: str                 # "a", "b", ... (stable within its question)
    text: str
    is_correct: bool
    fraction: float = 0.0    # credit share, -1..1; correct choices of a multiple question sum to 1
    feedback: str = ""


@dataclass
class QuestionData:
    key: str                 # "q1" (lesson, Aiken), the GIFT ::title:: or a slug of its text
    kind: QuestionKind
    text: str                # Markdown
    points: float = 1.0
    explanation: str = ""    # shown after answering (the lesson's Gabarito line)
    choices: list[ChoiceData] = field(default_factory=list)
    expected_command: str = ""   # kind "command": compared by meaning, see quizzes.docker_command
    position: int = 0        # 1-based order in the quiz; `finalize` renumbers from the list order


@dataclass
class QuizData:
    title: str
    slug: str
    description: str = ""
    questions: list[QuestionData] = field(default_factory=list)


class QuizImportError(Exception):
    """A file that cannot become a quiz; the message (pt-BR) says what is wrong and what was expected."""

    def __init__(self, message: str, *, line: int | None = None, source: str = ""):
        super().__init__(message)
        self.message, self.line, self.source = message, line, source

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.source, f"linha {self.line}" if self.line else "") if part)
        return f"{where}: {self.message}" if where else self.message
