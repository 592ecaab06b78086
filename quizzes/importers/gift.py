"""Moodle GIFT: the subset that maps onto our question kinds.

Supported: `//` comment lines, `$CATEGORY:` (ignored), `::title::`, `[markdown]`/`[html]`/
`[plain]`/`[moodle]` format tags (the text is kept as is), escapes `\\~ \\= \\# \\{ \\} \\: \\n`,
multiple choice `{=right ~wrong#feedback}` (with partial credit `~%50%`), multiple answers
`{~%50%A ~%50%B ~%-100%C}`, true/false `{T}`/`{F}` (two choices, Verdadeiro/Falso), essay
`{}`, general feedback `####...`, multi-line questions. Questions are separated by blank lines,
as in Moodle, so an unclosed `{` is reported at the line where its question started.
Matching (`->`), numeric (`#`) and short-answer (only `=`) questions have no equivalent kind
here and are rejected with their line rather than imported as something else.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from common.i18n import gettext_noop

from .model import ChoiceData, QuestionData, QuizData, QuizImportError
from .validation import finalize, slugify, unique_key

_ESCAPABLE = "~=#{}:n\\"
_FORMAT_TAG = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]\s*", re.IGNORECASE)
_TRUE_FALSE = re.compile(r"^\s*(T|TRUE|F|FALSE)\s*$", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")

Line = tuple[int, str]


def parse_gift(
    text: str, *, source: str = "questoes.gift", title: str | None = None, slug: str | None = None
) -> QuizData:
    """Read a GIFT file; the quiz title and slug default to the file name."""
    stem = PurePath(source).stem or "questionario"
    questions: list[QuestionData] = []
    starts: list[int] = []
    taken: set[str] = set()
    titled: set[str] = set()
    for block in _blocks(text.lstrip("\ufeff")):
        question = _Block(block, source).parse()
        question.key = slugify(question.key, max_length=80)  # keys are slugs in the database
        if question.key:  # an explicit ::title:: is the author's key: duplicates are an error
            titled.add(question.key)
        else:
            question.key = unique_key(slugify(question.text, max_words=6) or "questao", taken | titled)
        taken.add(question.key)
        questions.append(question)
        starts.append(block[0][0])
    quiz = QuizData(title=title or stem, slug=slug or slugify(stem, max_length=80), questions=questions)
    return finalize(quiz, source=source, lines=starts)


def _blocks(text: str) -> list[list[Line]]:
    """Questions as lists of (line number, text): blank lines and $CATEGORY end one; comments vanish."""
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped or stripped.upper().startswith("$CATEGORY:"):
            if current:
                blocks.append(current)
            current = []
            continue
        current.append((number, line))
    if current:
        blocks.append(current)
    return blocks


def _find(text: str, token: str, start: int = 0, end: int | None = None) -> int:
    """Index of the first unescaped `token` in text[start:end], or -1."""
    end = len(text) if end is None else end
    i = start
    while i < end:
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(token, i) and i + len(token) <= end:
            return i
        i += 1
    return -1


def _split(text: str, separators: str) -> list[tuple[int, str]]:
    """Split at unescaped separator characters; returns (offset, piece) with the separator kept first."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in separators and i > start:
            pieces.append((start, text[start:i]))
            start = i
        i += 1
    pieces.append((start, text[start:]))
    return pieces


def _unescape(text: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1) if m.group(1) in _ESCAPABLE else m.group(0), text
    ).strip()


class _Block:
    """One question: its lines joined, with offsets mapped back to source lines for errors."""

    def __init__(self, lines: list[Line], source: str):
        self.lines, self.source = lines, source
        self.text = "\n".join(line for _, line in lines)

    def line_at(self, offset: int) -> int:
        return self.lines[self.text.count("\n", 0, max(offset, 0))][0]

    def fail(self, message: str, offset: int = 0, **params) -> QuizImportError:
        return QuizImportError(message, line=self.line_at(offset), source=self.source, **params)

    def parse(self) -> QuestionData:
        text, pos, key = self.text, len(self.text) - len(self.text.lstrip()), ""
        if text.startswith("::", pos):
            end = _find(text, "::", pos + 2)
            if end < 0:
                raise self.fail(
                    gettext_noop("title '::' without the closing '::'; expected '::title:: statement {...}'."), pos
                )
            key, pos = _unescape(text[pos + 2 : end]), end + 2
            if not key:
                raise self.fail(gettext_noop("empty title '::::'; write a title or leave out the '::'."), pos)
        opening = _find(text, "{", pos)
        closing_early = _find(text, "}", pos, opening if opening >= 0 else None)
        if closing_early >= 0:
            raise self.fail(
                gettext_noop("'}' without a matching '{'; escape it as '\\}' if it is part of the text."), closing_early
            )
        if opening < 0:
            raise self.fail(
                gettext_noop(
                    "question without an answer block '{...}'; loose text (Moodle's description type) is not supported."
                ),
                pos,
            )
        closing = _find(text, "}", opening + 1)
        if closing < 0:
            raise self.fail(
                gettext_noop(
                    "the '{{' opened on line {opened} was not closed; expected '}}' before the "
                    "blank line that ends the question."
                ),
                0,
                opened=self.line_at(opening),
            )
        nested = _find(text, "{", opening + 1, closing)
        if nested >= 0:
            raise self.fail(
                gettext_noop("'{' inside the answer block; escape it as '\\{' if it is part of the text."), nested
            )
        after = text[closing + 1 :]
        if _find(after, "{") >= 0:
            raise self.fail(
                gettext_noop(
                    "more than one answer block '{...}' in the same question (multiple gaps/cloze) is not supported."
                ),
                closing + 1 + _find(after, "{"),
            )
        before = _FORMAT_TAG.sub("", text[pos:opening], count=1)
        statement = _unescape(before) + (" _____ " + _unescape(after) if after.strip() else "")
        question = QuestionData(key=key, kind="essay", text=statement.strip())
        self._answers(question, text[opening + 1 : closing], opening + 1)
        return question

    def _answers(self, q: QuestionData, inner: str, base: int) -> None:
        general = _find(inner, "####")
        if general >= 0:
            q.explanation = _unescape(_FORMAT_TAG.sub("", inner[general + 4 :], count=1))
            inner = inner[:general]
        if not inner.strip():
            return  # {} is an essay
        tf = _split(inner, "#")
        if _TRUE_FALSE.match(tf[0][1]):
            return self._true_false(q, tf)
        if inner.lstrip().startswith("#"):
            raise self.fail(
                gettext_noop("numerical questions ('{#...}') are not supported; use multiple choice."), base
            )
        arrow = _find(inner, "->")
        if arrow >= 0:
            raise self.fail(
                gettext_noop("matching questions ('->') are not supported; use multiple choice."), base + arrow
            )
        pieces = _split(inner, "=~")
        head_offset, head = pieces[0]
        if head.strip() and head.lstrip()[0] not in "=~":
            raise self.fail(
                gettext_noop(
                    "text '{text}' before the first answer; each answer must start with '=' (right) or '~' (wrong)."
                ),
                base + head_offset,
                text=head.strip()[:40],
            )
        answers = [(off, piece) for off, piece in pieces if piece.strip()]
        markers = [piece[0] for _, piece in answers]
        if "~" not in markers:
            raise self.fail(
                gettext_noop(
                    "short-answer questions (only '=' answers) are not supported; mark the wrong options with '~'."
                ),
                base + answers[0][0],
            )
        weights = []
        for off, piece in answers:
            weight = _WEIGHT.match(piece[1:])
            body = piece[1 + weight.end() :] if weight else piece[1:]
            parts = _split(body, "#")
            answer_text = _unescape(_FORMAT_TAG.sub("", parts[0][1], count=1))
            feedback = _unescape(body[parts[1][0] + 1 :]) if len(parts) > 1 else ""
            if not answer_text:
                raise self.fail(gettext_noop("empty answer after '=' or '~'."), base + off)
            value = float(weight.group(1).replace(",", ".")) / 100 if weight else None
            if weight and value is not None and not -1 <= value <= 1:
                raise self.fail(
                    gettext_noop("weight {weight}% outside the range -100% to 100%."),
                    base + off,
                    weight=weight.group(1),
                )
            weights.append(value)
            q.choices.append(
                ChoiceData(
                    key=chr(ord("a") + len(q.choices)), text=answer_text, is_correct=piece[0] == "=", feedback=feedback
                )
            )
        if "=" in markers:  # one right answer; weighted "~" answers give partial credit
            q.kind = "single"
            for choice, value in zip(q.choices, weights, strict=True):
                choice.fraction = 1.0 if choice.is_correct else (value or 0.0)
            return
        if not any(w and w > 0 for w in weights):
            raise self.fail(
                gettext_noop(
                    "no right answer: mark the right one with '=' or, for several right answers, "
                    "give positive weights ('~%50%answer')."
                ),
                base + answers[0][0],
            )
        q.kind = "multiple"
        for choice, value in zip(q.choices, weights, strict=True):
            choice.is_correct, choice.fraction = bool(value and value > 0), value or 0.0

    def _true_false(self, q: QuestionData, parts: list[tuple[int, str]]) -> None:
        # {T#feedback if wrong#feedback if right}: Moodle shows the first to whoever answered wrong.
        truth = parts[0][1].strip().upper().startswith("T")
        feedbacks = [_unescape(piece[1:]) for _, piece in parts[1:3]] + ["", ""]
        wrong_fb, right_fb = feedbacks[0], feedbacks[1]
        q.kind = "single"
        q.choices = [
            ChoiceData("a", "Verdadeiro", truth, 1.0 if truth else 0.0, right_fb if truth else wrong_fb),
            ChoiceData("b", "Falso", not truth, 0.0 if truth else 1.0, wrong_fb if truth else right_fb),
        ]
