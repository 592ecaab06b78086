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

from .model import ChoiceData, QuestionData, QuizData, QuizImportError
from .validation import finalize, plural, slugify

_OPTION = re.compile(r"^([A-Za-z])[.)]\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)


def parse_aiken(text: str, *, source: str = "questoes.aiken", title: str | None = None,
                slug: str | None = None) -> QuizData:
    """Read an Aiken file; the quiz title and slug default to the file name."""
    stem = PurePath(source).stem or "questionario"
    questions: list[QuestionData] = []
    starts: list[int] = []
    statement: list[str] = []
    options: list[tuple[str, str, int]] = []  # letter, text, line
    start = 0

    def fail(message: str, line: int | None) -> QuizImportError:
        return QuizImportError(message, line=line, source=source)

    def unanswered() -> QuizImportError:
        return fail("a questão que começa nesta linha não tem a linha de resposta; esperado 'ANSWER: <letra>' "
                    "depois das alternativas.", start)

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if not statement:
                raise fail("'ANSWER:' sem questão antes; esperado o enunciado e as alternativas antes dela.", number)
            if len(options) < 2:
                raise fail(f"a questão tem {plural(len(options), 'alternativa', 'alternativas')}; esperado pelo menos 2 "
                           "('A. texto', 'B. texto') antes de 'ANSWER:'.", start)
            letter = answer.group(1).upper()
            letters = [opt[0] for opt in options]
            if not re.fullmatch(r"[A-Z]", letter):
                raise fail(f"'ANSWER: {answer.group(1)}' inválido; esperado uma só letra, como 'ANSWER: B'.", number)
            if letter not in letters:
                raise fail(f"'ANSWER: {letter}' não corresponde a nenhuma alternativa; as alternativas são "
                           f"{', '.join(letters)}.", number)
            choices = [ChoiceData(key=x.lower(), text=t, is_correct=x == letter, fraction=float(x == letter))
                       for x, t, _ in options]
            questions.append(QuestionData(key=f"q{len(questions) + 1}", kind="single",
                                          text="\n".join(statement), choices=choices))
            starts.append(start)
            statement, options = [], []
        elif option:
            if not statement:
                raise fail(f"alternativa '{line[:40]}' antes de qualquer enunciado; esperado o texto da questão "
                           "numa linha antes das alternativas.", number)
            letter = option.group(1).upper()
            if any(letter == opt[0] for opt in options):
                raise fail(f"a alternativa {letter} aparece duas vezes na mesma questão.", number)
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
