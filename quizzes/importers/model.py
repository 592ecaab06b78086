"""The neutral quiz data every importer produces and the Django side stores.

Plain dataclasses, no Django: parsers (lesson text, GIFT, Aiken, project YAML) fill them,
`validation.finalize` checks them in one place, and the database layer maps them to models.
Keys are stable identifiers so that a re-import updates questions instead of duplicating them.
Errors are English texts marked for the project's catalogue, said in pt-BR unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from common.i18n import gettext, gettext_noop

QuestionKind = Literal["single", "multiple", "essay", "command", "shortanswer", "numerical", "matching"]
KINDS: tuple[str, ...] = ("single", "multiple", "essay", "command", "shortanswer", "numerical", "matching")


@dataclass
class ChoiceData:
    key: str  # "a", "b", ... (stable within its question)
    text: str
    is_correct: bool
    fraction: float = 0.0  # credit share, -1..1; correct choices of a multiple question sum to 1
    feedback: str = ""
    # The other kinds reuse the choice rows (see validation for their rules):
    # - shortanswer: `text` is an accepted answer (`*` matches any run of characters), `fraction`
    #   the credit it gives (0..1, one of them 1);
    # - numerical: `text` is the value (or `*`, any number), `tolerance` the accepted absolute error;
    # - matching: `text` is a stem and `match` the answer paired with it; an empty stem is a
    #   distractor (an extra answer offered for every stem).
    tolerance: float = 0.0
    match: str = ""


@dataclass
class UnitData:
    """A unit a numerical answer may carry ("5 GB"): the value is divided by `multiplier`
    (Moodle's rule), so the first unit, the one the answers are given in, has 1."""

    name: str
    multiplier: float = 1.0


@dataclass
class DrawData:
    """A quiz slot that shows `count` questions drawn at random from the quiz's questions in
    `category` (or a category under it), in the place of the first of them."""

    category: str
    count: int


@dataclass
class QuestionData:
    key: str  # "q1" (lesson, Aiken), the GIFT ::title:: or a slug of its text
    kind: QuestionKind
    text: str  # Markdown
    points: float = 1.0
    explanation: str = ""  # shown after answering (the lesson's Gabarito line)
    choices: list[ChoiceData] = field(default_factory=list)
    expected_command: str = ""  # kind "command": compared by meaning, see quizzes.docker_command
    position: int = 0  # 1-based order in the quiz; `finalize` renumbers from the list order
    name: str = ""  # the author's label (Moodle's question name): shown to teachers, not unique
    category: str = ""  # "Docker/Redes": a path, top level first, '/' between levels
    case_sensitive: bool = False  # shortanswer: whether "RUN" and "run" differ
    units: list[UnitData] = field(default_factory=list)  # numerical: optional units
    penalty: float = 0.0  # Moodle's penalty per wrong try: kept for round trips, not applied
    feedback_correct: str = ""  # Moodle's combined feedback, shown with the result
    feedback_partial: str = ""
    feedback_incorrect: str = ""


@dataclass
class PracticeData:
    """A practice copy of a quiz: the same questions under another slug and title, with the
    practice settings (see quizzes.bank.PRACTICE_SETTINGS)."""

    slug: str
    title: str
    description: str = ""


@dataclass
class QuizData:
    title: str
    slug: str
    description: str = ""
    questions: list[QuestionData] = field(default_factory=list)
    # The quiz's settings (Quiz fields: attempts_allowed, reveal_answers...), used only when the
    # quiz is created: afterwards they are the teacher's, changed in the admin.
    settings: dict[str, Any] = field(default_factory=dict)
    practice: PracticeData | None = None
    draws: list[DrawData] = field(default_factory=list)
    # What the importer left out or changed (a skipped Moodle question, an embedded image...),
    # said to the teacher who imports: a file is never imported with silent losses.
    notes: list[QuizImportError] = field(default_factory=list)


def true_false_choices(truth: bool, true_feedback: str = "", false_feedback: str = "") -> list[ChoiceData]:
    """A true/false question as the single-choice question every format makes of it: two
    choices, Verdadeiro and Falso, each with the feedback shown to whoever picks it."""
    return [
        ChoiceData("a", "Verdadeiro", truth, 1.0 if truth else 0.0, true_feedback),
        ChoiceData("b", "Falso", not truth, 0.0 if truth else 1.0, false_feedback),
    ]


class Message:
    """An English text marked for the project's catalogue and its parameters, said in a
    language only when shown (common.i18n). A parameter that is itself translatable (it has
    a `text(lang)` method) is said in the same language; `{placeholders}` are filled only
    when there are parameters, so a text without them may show braces as they are."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any):
        self.msgid, self.params = msgid, params

    def text(self, lang: str | None = None) -> str:
        template = gettext(self.msgid, lang)
        if not self.params:
            return template
        return template.format(
            **{
                name: value.text(lang) if callable(getattr(value, "text", None)) else value
                for name, value in self.params.items()
            }
        )


class QuizImportError(Exception):
    """A file that cannot become a quiz: what is wrong and what was expected, with the source
    and line. `message` and `str()` speak pt-BR (the default language); `text(lang)` any.

    A file may have several problems: the parsers report all of them at once through
    `QuizImportError.collect`, whose result lists them in `errors` (sorted by line), one per
    line of its message. A single problem is its own only entry of `errors`, so callers can
    always loop over `errors`; `line` is the first problem's line."""

    def __init__(self, msgid: str, *, line: int | None = None, source: str = "", **params: Any):
        self.problem: Message | _Listing = Message(msgid, **params)
        self.line, self.source = line, source
        self.errors: list[QuizImportError] = [self]
        super().__init__(self.describe())

    @classmethod
    def collect(cls, errors: Iterable[QuizImportError]) -> QuizImportError:
        """One error for all of `errors` (each possibly already a list): itself when there is one."""
        problems = sorted(
            (problem for error in errors for problem in error.errors),
            key=lambda e: -1 if e.line is None else e.line,  # stable: same line keeps its order
        )
        if not problems:
            raise ValueError("no error to report")
        if len(problems) == 1:
            return problems[0]
        combined = cls.__new__(cls)
        combined.problem = _Listing(problems)
        combined.line, combined.source, combined.errors = problems[0].line, problems[0].source, problems
        Exception.__init__(combined, combined.describe())
        return combined

    def text(self, lang: str | None = None) -> str:
        return self.problem.text(lang)

    @property
    def message(self) -> str:
        return self.text()

    def describe(self, lang: str | None = None) -> str:
        if len(self.errors) > 1:
            return "\n".join(error.describe(lang) for error in self.errors)
        line = _line_label(self.line, lang)
        where = ", ".join(part for part in (self.source, line) if part)
        return f"{where}: {self.text(lang)}" if where else self.text(lang)

    def __str__(self) -> str:
        return self.describe()


def _line_label(line: int | None, lang: str | None) -> str:
    return Message(gettext_noop("line {line}"), line=line).text(lang) if line else ""


class _Listing:
    """The text of several problems: one per line, each with its line number."""

    __slots__ = ("problems",)

    def __init__(self, problems: list[QuizImportError]):
        self.problems = problems

    def text(self, lang: str | None = None) -> str:
        return "\n".join(
            f"{label}: {problem.text(lang)}" if (label := _line_label(problem.line, lang)) else problem.text(lang)
            for problem in self.problems
        )
