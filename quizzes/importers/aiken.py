"""Aiken: the simplest single-choice format (Moodle).

    Qual instrução instala dependências durante o build?
    A. FROM
    B) RUN
    ANSWER: B

The statement may span several lines (before the first option); options are "A. text",
"A) text" or, as Moodle accepts, "A)text"; "ANSWER: X" closes the question. Blank lines
between questions are allowed. Texts are plain, as in Moodle: `<`, `*` and the like show as
written (textformat.escape_markdown). Keys are "q1", "q2"... by order, choices "a", "b"...
from their letters.

Every problem of the file is reported at once: after a bad question, reading goes on with the
next one (a question that never got its ANSWER line ends where the next statement starts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from common.i18n import gettext_noop

from .model import ChoiceData, QuestionData, QuizData, QuizImportError
from .textformat import escape_markdown
from .validation import finalize, slugify

# Moodle: a capital letter, ")" or ".", then the text, with or without a space between;
# a small letter needs the space, so that "e.g. this" stays a statement line.
_OPTION = re.compile(r"^(?:([A-Z])[.)]\s*|([a-z])[.)]\s+)(\S.*?)\s*$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass
class _Question:
    start: int
    statement: list[str] = field(default_factory=list)
    options: list[tuple[str, str, int]] = field(default_factory=list)  # letter, text, line
    broken: bool = False  # a problem was already reported: the question is not kept


def parse_aiken(
    text: str, *, source: str = "questoes.aiken", title: str | None = None, slug: str | None = None
) -> QuizData:
    """Read an Aiken file; the quiz title and slug default to the file name."""
    stem = PurePath(source).stem or "questionario"
    questions: list[QuestionData] = []
    starts: list[int] = []
    errors: list[QuizImportError] = []
    current: _Question | None = None
    orphan = False  # options seen with no statement before them (reported once)

    def fail(message: str, line: int | None, **params: Any) -> None:
        errors.append(QuizImportError(message, line=line, source=source, **params))

    def unanswered(question: _Question) -> None:
        if not question.broken:
            fail(
                gettext_noop(
                    "the question that starts on this line has no answer line; expected "
                    "'ANSWER: <letter>' after the options."
                ),
                question.start,
            )

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = None if answer else _OPTION.match(line)
        if answer:
            if current is None:
                if not orphan:
                    fail(
                        gettext_noop(
                            "'ANSWER:' with no question before it; expected the statement and the options before it."
                        ),
                        number,
                    )
                orphan = False
                continue
            question = _answered(current, answer.group(1), number, fail)
            if question is not None:
                question.key = f"q{len(questions) + 1}"
                questions.append(question)
                starts.append(current.start)
            current = None
        elif option:
            if current is None:
                if not orphan:
                    fail(
                        gettext_noop(
                            "option '{text}' before any statement; expected the question's text on a "
                            "line before the options."
                        ),
                        number,
                        text=line[:40],
                    )
                orphan = True
                continue
            letter = (option.group(1) or option.group(2)).upper()
            if any(letter == opt[0] for opt in current.options):
                fail(gettext_noop("option {letter} appears twice in the same question."), number, letter=letter)
                current.broken = True
            current.options.append((letter, option.group(3), number))
        else:
            orphan = False
            if current is not None and current.options:
                # Text after options: the question never got its ANSWER line; this starts the next.
                unanswered(current)
                current = None
            if current is None:
                current = _Question(start=number)
            current.statement.append(line)
    if current is not None:
        unanswered(current)
    quiz = QuizData(title=title or stem, slug=slug or slugify(stem, max_length=80), questions=questions)
    return finalize(quiz, source=source, lines=starts, earlier=errors)


def _answered(current: _Question, given: str, number: int, fail) -> QuestionData | None:
    """The question an ANSWER line closes, or None (its problems reported through `fail`)."""
    options = current.options
    if len(options) == 1:
        fail(
            gettext_noop("the question has 1 option; expected at least 2 ('A. text', 'B. text') before 'ANSWER:'."),
            current.start,
        )
        return None
    if len(options) < 2:
        fail(
            gettext_noop(
                "the question has {count} options; expected at least 2 ('A. text', 'B. text') before 'ANSWER:'."
            ),
            current.start,
            count=len(options),
        )
        return None
    letter = given.upper()
    letters = [opt[0] for opt in options]
    if not re.fullmatch(r"[A-Z]", letter):
        fail(
            gettext_noop("invalid 'ANSWER: {answer}'; expected a single letter, such as 'ANSWER: B'."),
            number,
            answer=given,
        )
        return None
    if letter not in letters:
        fail(
            gettext_noop("'ANSWER: {letter}' matches no option; the options are {letters}."),
            number,
            letter=letter,
            letters=", ".join(letters),
        )
        return None
    if current.broken:
        return None
    choices = [
        ChoiceData(key=x.lower(), text=escape_markdown(t), is_correct=x == letter, fraction=float(x == letter))
        for x, t, _ in options
    ]
    return QuestionData(key="", kind="single", text=escape_markdown("\n".join(current.statement)), choices=choices)
