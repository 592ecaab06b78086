"""Aiken: the simplest single-choice format (Moodle).

    Qual instrução instala dependências durante o build?
    A. FROM
    B) RUN
    ANSWER: B

The statement may span several lines (before the first option); options are "A. text" or
"A) text"; "ANSWER: X" closes the question. Blank lines between questions are allowed.
Keys are "q1", "q2"... by order, choices "a", "b"... from their letters.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from common.i18n import gettext_noop

from .model import ChoiceData, QuestionData, QuizData, QuizImportError
from .validation import finalize, slugify

_OPTION = re.compile(r"^([A-Za-z])[.)]\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)


def parse_aiken(
    text: str, *, source: str = "questoes.aiken", title: str | None = None, slug: str | None = None
) -> QuizData:
    """Read an Aiken file; the quiz title and slug default to the file name."""
    stem = PurePath(source).stem or "questionario"
    questions: list[QuestionData] = []
    starts: list[int] = []
    statement: list[str] = []
    options: list[tuple[str, str, int]] = []  # letter, text, line
    start = 0

    def fail(message: str, line: int | None, **params) -> QuizImportError:
        return QuizImportError(message, line=line, source=source, **params)

    def unanswered() -> QuizImportError:
        return fail(
            gettext_noop(
                "the question that starts on this line has no answer line; expected "
                "'ANSWER: <letter>' after the options."
            ),
            start,
        )

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if not statement:
                raise fail(
                    gettext_noop(
                        "'ANSWER:' with no question before it; expected the statement and the options before it."
                    ),
                    number,
                )
            if len(options) == 1:
                raise fail(
                    gettext_noop(
                        "the question has 1 option; expected at least 2 ('A. text', 'B. text') before 'ANSWER:'."
                    ),
                    start,
                )
            if len(options) < 2:
                raise fail(
                    gettext_noop(
                        "the question has {count} options; expected at least 2 ('A. text', 'B. text') before 'ANSWER:'."
                    ),
                    start,
                    count=len(options),
                )
            letter = answer.group(1).upper()
            letters = [opt[0] for opt in options]
            if not re.fullmatch(r"[A-Z]", letter):
                raise fail(
                    gettext_noop("invalid 'ANSWER: {answer}'; expected a single letter, such as 'ANSWER: B'."),
                    number,
                    answer=answer.group(1),
                )
            if letter not in letters:
                raise fail(
                    gettext_noop("'ANSWER: {letter}' matches no option; the options are {letters}."),
                    number,
                    letter=letter,
                    letters=", ".join(letters),
                )
            choices = [
                ChoiceData(key=x.lower(), text=t, is_correct=x == letter, fraction=float(x == letter))
                for x, t, _ in options
            ]
            questions.append(
                QuestionData(key=f"q{len(questions) + 1}", kind="single", text="\n".join(statement), choices=choices)
            )
            starts.append(start)
            statement, options = [], []
        elif option:
            if not statement:
                raise fail(
                    gettext_noop(
                        "option '{text}' before any statement; expected the question's text on a "
                        "line before the options."
                    ),
                    number,
                    text=line[:40],
                )
            letter = option.group(1).upper()
            if any(letter == opt[0] for opt in options):
                raise fail(gettext_noop("option {letter} appears twice in the same question."), number, letter=letter)
            options.append((letter, option.group(2), number))
        else:
            if options:  # text after options: the previous question never got its ANSWER line
                raise unanswered()
            if not statement:
                start = number
            statement.append(line)
    if statement:
        raise unanswered()
    quiz = QuizData(title=title or stem, slug=slug or slugify(stem, max_length=80), questions=questions)
    return finalize(quiz, source=source, lines=starts)
