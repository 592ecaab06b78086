"""The lesson text's own quiz: "## Autoavaliação" with "### Questão N", answers in "# Gabarito".

The lesson (Markdown exported from slides) writes each question as a heading, its statement,
and options "- a) ...". "(Dissertativa)" after the number marks an essay. The answers come
later, under "# Gabarito", as "## Questão N" followed by "**Resposta: c)** explanation".
Inline code stays as Markdown backticks: the quiz page renders Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from common.i18n import gettext_noop

from .model import ChoiceData, QuestionData, QuizData, QuizImportError
from .validation import finalize, slugify

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_QUESTION = re.compile(r"^quest[aã]o\s+(\d+)\s*(?:\((?P<note>[^)]*)\))?\s*[:.]?\s*$", re.IGNORECASE)
_OPTION = re.compile(r"^\s*(?:[-*+]\s+)?([a-zA-Z])\)\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^\**\s*resposta\s*:\s*\**\s*([a-zA-Z])\)\s*\**\s*(.*)$", re.IGNORECASE)
# The slide export leaves page numbers alone on a line ("1", "2") between questions.
_PAGE_NUMBER = re.compile(r"^\d+$")
_AULA = re.compile(r"\baula\s+(\d+)\b", re.IGNORECASE)


@dataclass
class _Heading:
    line: int
    level: int
    title: str  # without Markdown emphasis
    end: int = 0  # index (0-based, exclusive) of the last body line


@dataclass
class _Question:
    number: int
    line: int
    essay: bool
    statement: list[str] = field(default_factory=list)
    options: list[list] = field(default_factory=list)  # [letter, text, line]


def parse_lesson(text: str, *, source: str = "aula.md", title: str | None = None, slug: str | None = None) -> QuizData:
    """Read the self-assessment of a lesson text; raise QuizImportError naming the line."""
    lines = text.lstrip("\ufeff").splitlines()
    headings = _headings(lines)

    def fail(message: str, line: int | None = None, **params) -> QuizImportError:
        return QuizImportError(message, line=line, source=source, **params)

    if title is None:
        first = next((h for h in headings if h.level == 1), None)
        if first is None:
            raise fail(gettext_noop("title not found; expected a heading '# Aula NN – Tema' at the start of the text."))
        title = first.title
    if slug is None:
        aula = _AULA.search(title)
        slug = f"aula-{aula.group(1)}" if aula else slugify(title, max_length=80)

    section = next((h for h in headings if h.level >= 2 and slugify(h.title) == "autoavaliacao"), None)
    if section is None:
        raise fail(
            gettext_noop(
                "self-assessment section not found; expected a heading '## Autoavaliação' "
                "followed by the questions ('### Questão 1', ...)."
            )
        )
    questions: dict[int, _Question] = {}
    for heading in _children(headings, section):
        match = _QUESTION.match(heading.title)
        if not match:
            continue
        number = int(match.group(1))
        if number in questions:
            raise fail(
                gettext_noop("question {number} appears twice (the first on line {first})."),
                heading.line,
                number=number,
                first=questions[number].line,
            )
        essay = slugify(match.group("note") or "").startswith("dissertativa")
        questions[number] = _read_question(number, heading, lines, essay, fail)
    if not questions:
        raise fail(
            gettext_noop(
                "the '## Autoavaliação' section has no questions; expected '### Questão 1', '### Questão 2'..."
            ),
            section.line,
        )

    answers = _read_gabarito(headings, lines, questions, fail)
    out = []
    for q in questions.values():
        letters = [opt[0] for opt in q.options]
        answer = answers.get(q.number)
        if q.essay:
            out.append(
                QuestionData(
                    key=f"q{q.number}", kind="essay", text=_join(q.statement), explanation=answer[1] if answer else ""
                )
            )
            continue
        if len(q.options) < 2:
            raise fail(
                gettext_noop(
                    "question {number} has {count} option(s); expected at least 2 in the form "
                    "'- a) text' (or mark it as '(Dissertativa)')."
                ),
                q.line,
                number=q.number,
                count=len(q.options),
            )
        if answer is None:
            raise fail(
                gettext_noop(
                    "question {number} has no answer in the Gabarito; expected '## Questão {number}' "
                    "followed by '**Resposta: x)** ...' in the '# Gabarito' section."
                ),
                q.line,
                number=q.number,
            )
        letter, explanation, answer_line = answer
        if letter not in letters:
            raise fail(
                gettext_noop(
                    "the Gabarito of question {number} names option {letter}), but the question only has {letters}."
                ),
                answer_line,
                number=q.number,
                letter=letter,
                letters=", ".join(x + ")" for x in letters),
            )
        choices = [
            ChoiceData(key=x, text=t, is_correct=x == letter, fraction=1.0 if x == letter else 0.0)
            for x, t, _ in q.options
        ]
        out.append(
            QuestionData(
                key=f"q{q.number}", kind="single", text=_join(q.statement), explanation=explanation, choices=choices
            )
        )
    quiz = QuizData(title=title, slug=slug, description=f"Autoavaliação da {title}.", questions=out)
    return finalize(quiz, source=source, lines=[q.line for q in questions.values()])


def _headings(lines: list[str]) -> list[_Heading]:
    """Headings outside fenced code (a Dockerfile's "# comment" is not a heading)."""
    found: list[_Heading] = []
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            title = re.sub(r"\*\*|__", "", match.group(2)).strip()
            found.append(_Heading(index + 1, len(match.group(1)), title))
    for current, following in zip(found, found[1:] + [_Heading(len(lines) + 1, 0, "")], strict=True):
        current.end = following.line - 1
    return found


def _children(headings: list[_Heading], parent: _Heading) -> list[_Heading]:
    """Headings inside `parent`'s section: until the next heading of the same or higher rank."""
    start = headings.index(parent) + 1
    inside = []
    for heading in headings[start:]:
        if heading.level <= parent.level:
            break
        inside.append(heading)
    return inside


def _body(heading: _Heading, lines: list[str]) -> list[tuple[int, str]]:
    return [(n, lines[n - 1]) for n in range(heading.line + 1, heading.end + 1)]


def _read_question(number: int, heading: _Heading, lines: list[str], essay: bool, fail) -> _Question:
    q = _Question(number, heading.line, essay)
    after_blank = False
    for n, line in _body(heading, lines):
        stripped = line.strip()
        if not stripped or _PAGE_NUMBER.match(stripped):
            after_blank = after_blank or bool(q.options)
            if not stripped and q.statement and not q.options:
                q.statement.append("")
            continue
        option = _OPTION.match(line)
        if option:
            letter = option.group(1).lower()
            if any(letter == opt[0] for opt in q.options):
                raise fail(
                    gettext_noop("option {letter}) appears twice in question {number}."),
                    n,
                    letter=letter,
                    number=number,
                )
            if essay:
                raise fail(
                    gettext_noop(
                        "question {number} is an essay but has options; take '(Dissertativa)' out "
                        "of the title or remove the options."
                    ),
                    n,
                    number=number,
                )
            q.options.append([letter, option.group(2), n])
            after_blank = False
        elif q.options and not after_blank:
            q.options[-1][1] += " " + stripped  # the option continues on the next line
        elif q.options:
            raise fail(
                gettext_noop(
                    "unexpected text after the options of question {number}: '{text}'; expected "
                    "only options '- a) ...' up to the next question."
                ),
                n,
                number=number,
                text=stripped[:60],
            )
        else:
            q.statement.append(line.rstrip())
    if not q.statement:
        raise fail(
            gettext_noop("question {number} has no statement; expected the question's text right after its title."),
            heading.line,
            number=number,
        )
    return q


def _read_gabarito(headings, lines, questions, fail) -> dict[int, tuple[str, str, int]]:
    """Question number -> (letter, explanation, line). Essays may give an expected answer instead."""
    section = next((h for h in headings if slugify(h.title) == "gabarito"), None)
    if section is None:
        return {}
    answers: dict[int, tuple[str, str, int]] = {}
    for heading in _children(headings, section):
        match = _QUESTION.match(heading.title)
        if not match:
            continue
        number = int(match.group(1))
        if number not in questions:
            raise fail(
                gettext_noop(
                    "the Gabarito has question {number}, which is not in the Autoavaliação (questions: {numbers})."
                ),
                heading.line,
                number=number,
                numbers=", ".join(map(str, questions)),
            )
        if number in answers:
            raise fail(gettext_noop("question {number} appears twice in the Gabarito."), heading.line, number=number)
        letter, line, rest = "", heading.line, []
        for n, text in _body(heading, lines):
            answer = _ANSWER.match(text.strip())
            if answer and not letter:
                letter, line = answer.group(1).lower(), n
                rest.append(answer.group(2).strip())
            elif text.strip() and not _PAGE_NUMBER.match(text.strip()):
                rest.append(text.rstrip())
        if not letter and not questions[number].essay:
            raise fail(
                gettext_noop(
                    "the Gabarito of question {number} has no answer line; expected '**Resposta: x)** explicação'."
                ),
                heading.line,
                number=number,
            )
        answers[number] = (letter, _join(rest), line)
    return answers


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
