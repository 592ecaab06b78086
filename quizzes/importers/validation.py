"""Checks common to every import format, in one place.

Each parser only reads its syntax; whether the result is a sound quiz (one right answer in a
single-choice question, credit shares that add up, a command the checker can read) is decided
here, so the rules cannot drift apart between GIFT, Aiken, the lesson text and YAML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from common.i18n import gettext_noop

from ..docker_command import CommandParseError, parse_docker_command
from .model import KINDS, Message, QuestionData, QuizData, QuizImportError

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")  # what Django's SlugField accepts
_TOLERANCE = 0.01  # GIFT writes thirds as 33.333%: the sum is 0.99999, still "1"
TITLE_MAX, SLUG_MAX, CHOICE_KEY_MAX = 200, 80, 16  # the database columns


def slugify(text: str, *, max_words: int | None = None, max_length: int = 50) -> str:
    """ "Questão 3: docker run?" -> "questao-3-docker-run" (ASCII, for keys and slugs)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:max_words]
    return "-".join(words)[:max_length].strip("-")


def unique_key(base: str, taken: set[str]) -> str:
    """Generated keys (GIFT questions without a title) must not collide: "x", "x-2", "x-3"..."""
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def finalize(quiz: QuizData, *, source: str = "", lines: Sequence[int | None] = ()) -> QuizData:
    """Validate (and complete: positions, credit shares) a parsed quiz; raise QuizImportError.

    `lines[i]` is the source line where question i starts, so errors point at it.
    """
    quiz.title, quiz.slug, quiz.description = quiz.title.strip(), quiz.slug.strip(), quiz.description.strip()
    if not quiz.title:
        raise QuizImportError(gettext_noop("the quiz has no title; expected a non-empty text."), source=source)
    if len(quiz.title) > TITLE_MAX:
        raise QuizImportError(
            gettext_noop("the title has {length} characters; the maximum is {max}."),
            source=source,
            length=len(quiz.title),
            max=TITLE_MAX,
        )
    if not _SLUG.match(quiz.slug) or len(quiz.slug) > SLUG_MAX:
        raise QuizImportError(
            gettext_noop(
                "invalid slug: '{slug}'; expected up to {max} unaccented letters, digits, '-' or '_' "
                "(for example, aula-45)."
            ),
            source=source,
            slug=quiz.slug,
            max=SLUG_MAX,
        )
    if not quiz.questions:
        raise QuizImportError(gettext_noop("no question found; expected at least one."), source=source)
    seen: dict[str, int] = {}
    for index, question in enumerate(quiz.questions):
        line = lines[index] if index < len(lines) else None
        question.position = index + 1
        try:
            _check_question(question, seen)
        except QuizImportError as exc:
            name = (
                Message(gettext_noop("question '{key}'"), key=question.key)
                if question.key
                else Message(gettext_noop("question {position}"), position=question.position)
            )
            raise QuizImportError(
                gettext_noop("{question}: {problem}"), line=line, source=source, question=name, problem=exc
            ) from None
        seen[question.key] = question.position
    return quiz


def _check_question(q: QuestionData, seen: dict[str, int]) -> None:
    # Errors raised here are completed with the question's name, line and source by `finalize`.
    q.key, q.text = q.key.strip(), q.text.strip()
    if not q.key:
        raise QuizImportError(gettext_noop("the key that identifies the question between imports is missing."))
    if not _SLUG.match(q.key) or len(q.key) > SLUG_MAX:
        raise QuizImportError(
            gettext_noop("invalid key; expected up to {max} unaccented letters, digits, '-' or '_' (such as q1)."),
            max=SLUG_MAX,
        )
    if q.key in seen:
        raise QuizImportError(
            gettext_noop("repeated key (already used by question {position}); each question needs a unique key."),
            position=seen[q.key],
        )
    if q.kind not in KINDS:
        raise QuizImportError(
            gettext_noop("unknown kind '{kind}'; expected one of: {kinds}."), kind=q.kind, kinds=", ".join(KINDS)
        )
    if not q.text:
        raise QuizImportError(gettext_noop("the statement is empty."))
    if not q.points > 0:
        raise QuizImportError(gettext_noop("the points must be greater than zero (found {points})."), points=q.points)
    if q.kind in ("essay", "command") and q.choices:
        raise QuizImportError(
            gettext_noop("a question of kind {kind} has no options, but {count} were given."),
            kind=q.kind,
            count=len(q.choices),
        )
    if q.kind != "command" and q.expected_command.strip():
        raise QuizImportError(
            gettext_noop("only questions of kind command have expected_command (this one is {kind})."), kind=q.kind
        )
    if q.kind == "command":
        _check_command(q)
    elif q.kind in ("single", "multiple"):
        _check_choices(q)


def _check_command(q: QuestionData) -> None:
    q.expected_command = q.expected_command.strip()
    if not q.expected_command:
        raise QuizImportError(
            gettext_noop("expected_command is missing: the docker command the answer must be equivalent to.")
        )
    try:
        parse_docker_command(q.expected_command)
    except CommandParseError as exc:
        raise QuizImportError(
            gettext_noop("expected_command '{command}' is not a readable docker command: {problem}"),
            command=q.expected_command,
            problem=exc,
        ) from None


def _check_choices(q: QuestionData) -> None:
    # Two texts rather than ngettext: pt_BR's plural rule (n > 1) would say "0 alternativa".
    if len(q.choices) == 1:
        raise QuizImportError(gettext_noop("has 1 option; expected at least 2."))
    if len(q.choices) < 2:
        raise QuizImportError(gettext_noop("has {count} options; expected at least 2."), count=len(q.choices))
    keys: set[str] = set()
    for choice in q.choices:
        choice.key, choice.text = choice.key.strip(), choice.text.strip()
        if not choice.key or choice.key in keys or len(choice.key) > CHOICE_KEY_MAX:
            raise QuizImportError(
                gettext_noop(
                    "option with an empty, repeated or too long key ('{key}'); each needs "
                    "a unique key of up to {max} characters."
                ),
                key=choice.key,
                max=CHOICE_KEY_MAX,
            )
        keys.add(choice.key)
        if not choice.text:
            raise QuizImportError(gettext_noop("option {key}) is empty."), key=choice.key)
        if not -1 <= choice.fraction <= 1:
            raise QuizImportError(
                gettext_noop("the fraction of option {key}) is {fraction}; expected a value between -1 and 1."),
                key=choice.key,
                fraction=choice.fraction,
            )
    correct = [c for c in q.choices if c.is_correct]
    if q.kind == "single":
        if not correct:
            raise QuizImportError(gettext_noop("single choice needs exactly one right option (found: none)."))
        if len(correct) != 1:
            raise QuizImportError(
                gettext_noop("single choice needs exactly one right option (found: {found})."),
                found=", ".join(f"{c.key})" for c in correct),
            )
        if correct[0].fraction not in (0, 1):
            raise QuizImportError(
                gettext_noop(
                    "the right option {key}) is worth the whole question; its fraction must be 1, not {fraction}."
                ),
                key=correct[0].key,
                fraction=correct[0].fraction,
            )
        correct[0].fraction = 1.0
        partial = [c.key for c in q.choices if not c.is_correct and c.fraction >= 1]
        if partial:
            raise QuizImportError(
                gettext_noop("option {key}) is not the right one, but is worth the whole question (fraction 1)."),
                key=partial[0],
            )
        return
    if not correct:
        raise QuizImportError(gettext_noop("multiple choice needs at least one right option."))
    wrong_with_credit = [c.key for c in q.choices if not c.is_correct and c.fraction > 0]
    if wrong_with_credit:
        raise QuizImportError(
            gettext_noop("option {key}) is marked wrong but gives positive credit; use a zero or negative fraction."),
            key=wrong_with_credit[0],
        )
    if all(c.fraction == 0 for c in correct):  # shares not given: split the credit equally
        for c in correct:
            c.fraction = 1 / len(correct)
    total = sum(c.fraction for c in correct)
    if any(c.fraction <= 0 for c in correct) or abs(total - 1) > _TOLERANCE:
        shares = ", ".join(f"{c.key})={c.fraction:g}" for c in correct)
        raise QuizImportError(
            gettext_noop(
                "the fractions of the right options must be positive and add up to 1 (found {shares}; sum {total})."
            ),
            shares=shares,
            total=f"{total:g}",
        )
