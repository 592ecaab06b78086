"""Moodle GIFT, read as Moodle's own importer (question/format/gift/format.php) reads it.

A question is a block of lines ended by a blank line; `//` lines are comments, and a comment
of the block may declare `[id:...]` (the question's key) and `[tag:...]` (accepted, not kept).
`$CATEGORY: $course$/top/Docker/Redes` files the questions after it under "Docker/Redes".
`::name::` is the question's label (names repeat; see `_assign_keys` for keys). The answer
block `{...}` decides the kind, in Moodle's order:

- `{}` essay; `{#...}` numerical (`3:2` value and tolerance, `1..5` a range, `=%50%3:1`
  partial credit, `~#feedback` for any other number); a `~` anywhere: multiple choice (one
  `=` right answer, or weights `~%50%` for several right ones); `=` and `->`: matching
  (`=stem -> answer`, `= -> distractor`); `T`/`TRUE`/`F`/`FALSE`: true/false (`#if wrong#if
  right`); anything else: short answer (`=a =%50%b =*`, wildcards kept);
- `#feedback` after an answer, `####general feedback` at the end of the block;
- text after the block (`... {=x ~y} ...`) becomes a `_____` gap in the statement.

Escapes `\\: \\# \\= \\~ \\{ \\} \\n \\\\` are read first, as Moodle does. Format tags `[html]`,
`[moodle]`, `[plain]`, `[markdown]` may start the question text, each answer, each feedback
and the general feedback; without one, the statement is Markdown and the other texts take the
statement's format (Moodle's rule). Texts go through textformat.to_markdown; accepted answers
of short-answer and numerical questions and matching answers are compared, not shown as
Markdown, so only their tag is dropped.

Every problem of the file is reported at once: a bad question is skipped and reading goes on
with the next block. A description (text without `{}`) and several gaps (cloze) have no kind
here and are reported with their line like any other problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from common.i18n import gettext_noop

from .model import ChoiceData, Message, QuestionData, QuizData, QuizImportError, true_false_choices
from .textformat import FORMATS, to_markdown
from .validation import finalize, normalize_category, parse_number, slugify, unique_key

_ESCAPED = ":#=~{}n\\"
_PLACEHOLDER = 0xE000  # escaped characters become private-use characters while the block is read
_TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)$", re.IGNORECASE)
_WEIGHT = re.compile(r"^%\s*(-?\d+(?:[.,]\d*)?)\s*%")
_FORMAT_TAG = re.compile(r"^\[([a-zA-Z]+)\]")
_ID = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_CATEGORY_CONTEXT = re.compile(r"^\$[a-z]+\$(?:/|$)")
_KEY_MAX = 80

Line = tuple[int, str]


@dataclass
class _Source:
    """One question's lines (number, text) and the comments among them."""

    lines: list[Line] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    category: str = ""


def parse_gift(
    text: str, *, source: str = "questoes.gift", title: str | None = None, slug: str | None = None
) -> QuizData:
    """Read a GIFT file; the quiz title and slug default to the file name."""
    stem = PurePath(source).stem or "questionario"
    questions: list[QuestionData] = []
    starts: list[int] = []
    ids: list[str] = []
    errors: list[QuizImportError] = []
    for number, block in enumerate(_blocks(text.lstrip("\ufeff")), 1):
        reader = _Block(block, source, number)
        try:
            question = reader.parse()
        except QuizImportError as exc:
            errors.append(exc)
            continue
        question.category = block.category
        questions.append(question)
        starts.append(block.lines[0][0])
        ids.append(reader.explicit_id())
    _assign_keys(questions, ids)
    quiz = QuizData(title=title or stem, slug=slug or slugify(stem, max_length=_KEY_MAX), questions=questions)
    return finalize(quiz, source=source, lines=starts, earlier=errors)


def _assign_keys(questions: list[QuestionData], ids: list[str]) -> None:
    """Keys, stable from one import of the same file to the next: an `[id:...]` is the author's
    key (a repeated one is an error, reported by `finalize`); a named question's key is its name
    as a slug, the second question of the same name gets "-2" and so on, in file order; an
    untitled question's key comes from its first words, as before. Ids are served first and
    names before untitled questions, so a name keeps its own slug whatever is around it."""
    taken: set[str] = set()
    for question, explicit in zip(questions, ids, strict=True):
        if explicit:
            question.key = explicit
            taken.add(explicit)
    for question, explicit in zip(questions, ids, strict=True):
        if not explicit and slugify(question.name):
            question.key = unique_key(slugify(question.name, max_length=_KEY_MAX - 4), taken)
    for question, explicit in zip(questions, ids, strict=True):
        if not explicit and not slugify(question.name):
            base = slugify(question.text, max_words=6) or "questao"
            question.key = unique_key(base, taken)


def _blocks(text: str) -> list[_Source]:
    """Questions as blocks of lines: a blank line or a $CATEGORY line ends one; comments are set apart."""
    blocks: list[_Source] = []
    category = ""
    current = _Source()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            current.comments.append(stripped[2:])
            continue
        if not stripped or stripped.upper().startswith("$CATEGORY:"):
            if current.lines:
                blocks.append(current)
            if stripped:
                category = _category(stripped[len("$CATEGORY:") :])
            current = _Source(category=category)
            continue
        current.lines.append((number, line))
    if current.lines:
        blocks.append(current)
    return blocks


def _category(path: str) -> str:
    """Moodle's "$course$/top/Docker/Redes" as our "Docker/Redes": its context and "top" level dropped."""
    path = _CATEGORY_CONTEXT.sub("", path.strip())
    path = normalize_category(path)
    if path == "top" or path.startswith("top/"):
        path = path[len("top") :]
    return normalize_category(path)


def _protect(text: str) -> str:
    r"""Escaped characters out of the way of the syntax (`\{` is not a brace); `\\` is one backslash."""
    return re.sub(
        r"\\(.)",
        lambda m: chr(_PLACEHOLDER + ord(m.group(1))) if m.group(1) in _ESCAPED else m.group(0),
        text,
    )


def _restore(text: str) -> str:
    def char(code: int) -> str:
        original = chr(code - _PLACEHOLDER)
        return "\n" if original == "n" else original

    return "".join(char(ord(c)) if _PLACEHOLDER <= ord(c) < _PLACEHOLDER + 128 else c for c in text)


def _with_format(text: str, default: str) -> tuple[str, str]:
    """A text's leading format tag and the text without it; no (or an unknown) tag: `default`."""
    text = text.strip()
    tag = _FORMAT_TAG.match(text)
    if tag and tag.group(1).lower() in FORMATS:
        return tag.group(1).lower(), text[tag.end() :]
    return default, text


def _shown(text: str, default: str) -> str:
    """A text learners read (statement, option, stem, feedback) as our Markdown."""
    fmt, body = _with_format(text, default)
    return to_markdown(_restore(body).strip(), fmt)


def _compared(text: str, default: str) -> str:
    """A text responses are compared with (accepted answer, matching answer): tag dropped, as written."""
    return _restore(_with_format(text, default)[1]).strip()


def _number_text(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _pieces(answers: str, markers: str) -> list[tuple[int, str]]:
    """Split before each of the `markers` characters, keeping offsets; Moodle drops an empty first piece."""
    pieces, start = [], 0
    for index, char in enumerate(answers):
        if char in markers and index > start:
            pieces.append((start, answers[start:index]))
            start = index
    pieces.append((start, answers[start:]))
    if not pieces[0][1].strip():
        pieces.pop(0)
    return pieces


class _Block:
    """One question: its text with escapes protected, offsets mapped back to source lines."""

    def __init__(self, block: _Source, source: str, number: int):
        self.block, self.source, self.number = block, source, number
        self.text = _protect("\n".join(line for _, line in block.lines))
        self.name = ""
        self.format = "markdown"

    def line_at(self, offset: int) -> int:
        return self.block.lines[self.text.count("\n", 0, max(offset, 0))][0]

    def fail(self, msgid: str, offset: int = 0, **params: Any) -> QuizImportError:
        question = (
            Message(gettext_noop("question '{key}'"), key=self.name)
            if self.name
            else Message(gettext_noop("question {position}"), position=self.number)
        )
        return QuizImportError(
            gettext_noop("{question}: {problem}"),
            line=self.line_at(offset),
            source=self.source,
            question=question,
            problem=Message(msgid, **params),
        )

    def explicit_id(self) -> str:
        """The key an `[id:...]` in the block's comments gives (Moodle's idnumber), or ""."""
        found = _ID.search("\n".join(self.block.comments))
        return slugify(found.group(1).replace("\\]", "]"), max_length=_KEY_MAX) if found else ""

    def parse(self) -> QuestionData:
        text = self.text
        pos = len(text) - len(text.lstrip())
        if text.startswith("::", pos):
            end = text.find("::", pos + 2)
            if end < 0:
                raise self.fail(
                    gettext_noop("title '::' without the closing '::'; expected '::title:: statement {...}'."), pos
                )
            self.name = " ".join(_restore(text[pos + 2 : end]).split())
            pos = end + 2
        opening, closing = text.find("{", pos), text.find("}", pos)
        if opening < 0 and closing < 0:
            raise self.fail(
                gettext_noop(
                    "question without an answer block '{...}'; loose text (Moodle's description type) is not supported."
                ),
                pos,
            )
        if closing >= 0 and (opening < 0 or closing < opening):
            raise self.fail(
                gettext_noop("'}' without a matching '{'; escape it as '\\}' if it is part of the text."), closing
            )
        if closing < 0:
            raise self.fail(
                gettext_noop(
                    "the '{{' opened on line {opened} was not closed; expected '}}' before the "
                    "blank line that ends the question."
                ),
                0,
                opened=self.line_at(opening),
            )
        nested = text.find("{", opening + 1, closing)
        if nested >= 0:
            raise self.fail(
                gettext_noop("'{' inside the answer block; escape it as '\\{' if it is part of the text."), nested
            )
        after = text[closing + 1 :]
        if "{" in after:
            raise self.fail(
                gettext_noop(
                    "more than one answer block '{...}' in the same question (multiple gaps/cloze) is not supported."
                ),
                closing + 1 + after.index("{"),
            )
        statement = text[pos:opening] + ("_____" + after if after.strip() else "")
        self.format, body = _with_format(statement, "markdown")
        question = QuestionData(key="", kind="essay", text=to_markdown(_restore(body).strip(), self.format))
        question.name = self.name
        answers, base = text[opening + 1 : closing], opening + 1
        general = answers.rfind("####")
        if general >= 0:
            question.explanation = _shown(answers[general + 4 :], self.format)
            answers = answers[:general]
        base += len(answers) - len(answers.lstrip())
        answers = answers.strip()
        if not answers:
            return question  # {} is an essay
        if answers.startswith("#"):
            self._numerical(question, answers[1:], base + 1)
        elif "~" in answers:
            self._choices(question, answers, base)
        elif "=" in answers and "->" in answers:
            self._matching(question, answers, base)
        elif _TRUE_FALSE.match(answers.split("#", 1)[0].strip()):
            self._true_false(question, answers)
        else:
            self._short_answer(question, answers, base)
        return question

    def _feedback(self, piece: str) -> tuple[str, str]:
        """An answer and its `#feedback` (shown as Markdown); the answer is still raw."""
        answer, _, feedback = piece.partition("#")
        return answer, _shown(feedback, self.format)

    def _weight(self, piece: str, offset: int) -> tuple[float | None, str]:
        """A leading `%50%` as 0.5 and the rest of the answer; None when there is none."""
        weight = _WEIGHT.match(piece)
        if not weight:
            return None, piece
        value = float(weight.group(1).replace(",", ".")) / 100
        if not -1 <= value <= 1:
            raise self.fail(
                gettext_noop("weight {weight}% outside the range -100% to 100%."), offset, weight=weight.group(1)
            )
        return value, piece[weight.end() :]

    def _choices(self, q: QuestionData, answers: str, base: int) -> None:
        # Moodle: "=" starts a right answer, "~" a wrong one (or a weighted one); any "=" makes
        # it single choice, none makes it multiple answers with the weights as credit shares.
        pieces = [
            (off, (piece[1:] if piece.startswith("~") else piece).strip()) for off, piece in _pieces(answers, "~=")
        ]
        single = any(body.startswith("=") for _, body in pieces)
        for off, body in pieces:
            right = body.startswith("=")
            weight, rest = self._weight(body[1:] if right else body, base + off)
            answer, feedback = self._feedback(rest)
            text = _shown(answer, self.format)
            if not text:
                raise self.fail(gettext_noop("empty answer after '=' or '~'."), base + off)
            if right:
                fraction, correct = 1.0, True
            else:
                fraction = weight or 0.0
                correct = not single and fraction > 0
            q.choices.append(ChoiceData(self._key(q), text, correct, fraction, feedback))
        q.kind = "single" if single else "multiple"
        if not single and not any(c.is_correct for c in q.choices):
            raise self.fail(
                gettext_noop(
                    "no right answer: mark the right one with '=' or, for several right answers, "
                    "give positive weights ('~%50%answer')."
                ),
                base,
            )

    def _matching(self, q: QuestionData, answers: str, base: int) -> None:
        q.kind = "matching"
        for off, piece in _pieces(answers, "="):
            body = piece[1:] if piece.startswith("=") else piece
            arrow = body.find("->")
            if arrow < 0:
                raise self.fail(
                    gettext_noop("matching pair without '->'; expected '=stem -> answer' (or '= -> distractor')."),
                    base + off,
                )
            stem, answer = body[:arrow], body[arrow + 2 :]
            q.choices.append(
                ChoiceData(self._key(q), _shown(stem, self.format), False, match=_compared(answer, self.format))
            )

    def _true_false(self, q: QuestionData, answers: str) -> None:
        # {T#feedback if wrong#feedback if right}: Moodle shows the first to whoever answered wrong.
        parts = answers.split("#", 2) + ["", ""]
        truth = parts[0].strip().upper().startswith("T")
        wrong, right = _shown(parts[1], self.format), _shown(parts[2], self.format)
        q.kind = "single"
        q.choices = true_false_choices(truth, right if truth else wrong, wrong if truth else right)

    def _short_answer(self, q: QuestionData, answers: str, base: int) -> None:
        q.kind = "shortanswer"
        for off, piece in _pieces(answers, "="):
            body = (piece[1:] if piece.startswith("=") else piece).strip()
            weight, rest = self._weight(body, base + off)
            answer, feedback = self._feedback(rest)
            fraction = 1.0 if weight is None else weight
            q.choices.append(ChoiceData(self._key(q), _compared(answer, self.format), fraction > 0, fraction, feedback))

    def _numerical(self, q: QuestionData, answers: str, base: int) -> None:
        q.kind = "numerical"
        answers, tilde, otherwise = answers.partition("~")  # ~#feedback: any other number
        pieces = _pieces(answers, "=")
        if not pieces:
            raise self.fail(
                gettext_noop(
                    "numerical question without an answer; expected a value and its tolerance, as in '{#3:0.5}'."
                ),
                base,
            )
        for off, piece in pieces:
            body = (piece[1:] if piece.startswith("=") else piece).strip()
            weight, rest = self._weight(body, base + off)
            answer, feedback = self._feedback(rest)
            value, tolerance = self._number(_compared(answer, self.format), base + off)
            fraction = 1.0 if weight is None else weight
            q.choices.append(ChoiceData(self._key(q), value, fraction > 0, fraction, feedback, tolerance=tolerance))
        if tilde:
            feedback = self._feedback(otherwise)[1]
            q.choices.append(ChoiceData(self._key(q), "*", False, 0.0, feedback))

    def _number(self, answer: str, offset: int) -> tuple[str, float]:
        """`3`, `3:2` (value and tolerance), `1..5` (a range: its middle and half its width) or `*`."""
        if answer == "*":
            return "*", 0.0
        low_high = answer.split("..", 1) if answer.find("..") > 0 else None
        if low_high:
            low, high = parse_number(low_high[0]), parse_number(low_high[1])
            if low is not None and high is not None:
                middle = (low + high) / 2
                return _number_text(middle), high - middle
        else:
            value_text, _, tolerance_text = answer.partition(":") if answer.find(":") > 0 else (answer, "", "0")
            value, tolerance = parse_number(value_text), parse_number(tolerance_text)
            if value is not None and tolerance is not None:
                return _number_text(value), tolerance
        raise self.fail(
            gettext_noop(
                "'{answer}' is not a numerical answer; expected a number, 'value:tolerance', 'minimum..maximum' or '*'."
            ),
            offset,
            answer=answer,
        )

    @staticmethod
    def _key(q: QuestionData) -> str:
        return chr(ord("a") + len(q.choices)) if len(q.choices) < 26 else f"a{len(q.choices)}"
