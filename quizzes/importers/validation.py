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


def finalize(
    quiz: QuizData,
    *,
    source: str = "",
    lines: Sequence[int | None] = (),
    earlier: Sequence[QuizImportError] = (),
) -> QuizData:
    """Validate (and complete: positions, credit shares) a parsed quiz; raise QuizImportError.

    `lines[i]` is the source line where question i starts, so errors point at it. `earlier`
    are the problems the parser found: they are raised together with the validation's, all
    in one error (a file with no question left is not validated further).
    """
    problems = list(earlier)
    if problems and not quiz.questions:
        raise QuizImportError.collect(problems)
    try:
        _validate(quiz, source=source, lines=lines)
    except QuizImportError as exc:
        problems.append(exc)
    if problems:
        raise QuizImportError.collect(problems)
    return quiz


def _validate(quiz: QuizData, *, source: str, lines: Sequence[int | None]) -> None:
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
    errors: list[QuizImportError] = []  # every question is checked: the author sees all problems at once
    for index, question in enumerate(quiz.questions):
        line = lines[index] if index < len(lines) else None
        question.position = index + 1
        try:
            _check_question(question, seen)
        except QuizImportError as exc:
            name = (  # the author's label when there is one (GIFT names repeat: the line tells them apart)
                Message(gettext_noop("question '{key}'"), key=question.name.strip() or question.key)
                if question.name.strip() or question.key
                else Message(gettext_noop("question {position}"), position=question.position)
            )
            errors.append(
                QuizImportError(
                    gettext_noop("{question}: {problem}"), line=line, source=source, question=name, problem=exc
                )
            )
        seen.setdefault(question.key, question.position)
    if errors:
        raise QuizImportError.collect(errors)
    _check_draws(quiz, source)


def in_category(category: str, pool: str) -> bool:
    """Whether a question of `category` belongs to the pool named `pool` (it or a level under it)."""
    return category == pool or category.startswith(pool + "/")


def normalize_category(path: str) -> str:
    """ " Docker / Redes/ " -> "Docker/Redes": levels trimmed, empty levels dropped."""
    return "/".join(part.strip() for part in path.split("/") if part.strip())


def _check_draws(quiz: QuizData, source: str) -> None:
    taken: dict[int, str] = {}  # question position -> the draw that takes it
    for draw in quiz.draws:
        draw.category = normalize_category(draw.category)
        if not draw.category:
            raise QuizImportError(gettext_noop("a random draw without a category; name the category to draw from."))
        pool = [q for q in quiz.questions if in_category(q.category, draw.category)]
        if not pool:
            raise QuizImportError(
                gettext_noop("the random draw from category '{category}' has no question in that category."),
                source=source,
                category=draw.category,
            )
        if not 1 <= draw.count <= len(pool):
            raise QuizImportError(
                gettext_noop(
                    "the random draw from category '{category}' asks for {count} question(s); "
                    "expected 1 to {available}, the questions in that category."
                ),
                source=source,
                category=draw.category,
                count=draw.count,
                available=len(pool),
            )
        for question in pool:
            if question.position in taken:
                raise QuizImportError(
                    gettext_noop(
                        "question '{key}' is in the pools of two random draws ('{first}' and '{second}'); "
                        "a question can be drawn by one slot only."
                    ),
                    source=source,
                    key=question.key,
                    first=taken[question.position],
                    second=draw.category,
                )
            taken[question.position] = draw.category
        if len({question.points for question in pool}) > 1:
            # Else two learners' attempts would have different maxima for the same quiz.
            raise QuizImportError(
                gettext_noop(
                    "the questions of the random draw from category '{category}' are worth different points "
                    "({points}); every question of one pool must be worth the same."
                ),
                source=source,
                category=draw.category,
                points=", ".join(f"{question.key}: {question.points:g}" for question in pool),
            )


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
    q.category = normalize_category(q.category)
    if not 0 <= q.penalty <= 1:
        raise QuizImportError(gettext_noop("the penalty must be between 0 and 1 (found {penalty})."), penalty=q.penalty)
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
    elif q.kind == "shortanswer":
        _check_accepted(q, numeric=False)
    elif q.kind == "numerical":
        _check_accepted(q, numeric=True)
    elif q.kind == "matching":
        _check_matching(q)
    if q.units and q.kind != "numerical":
        raise QuizImportError(gettext_noop("only numerical questions have units (this one is {kind})."), kind=q.kind)


def _check_keys(q: QuestionData) -> None:
    keys: set[str] = set()
    for choice in q.choices:
        choice.key, choice.text, choice.match = choice.key.strip(), choice.text.strip(), choice.match.strip()
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


def parse_number(text: str) -> float | None:
    """A number as people write it: "3.5", "3,5", "-2e3"; None if it is not one."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _check_accepted(q: QuestionData, *, numeric: bool) -> None:
    """Short answer and numerical: accepted answers, each with its credit; one gives it all."""
    if not q.choices:
        raise QuizImportError(gettext_noop("has no accepted answer; expected at least one."))
    _check_keys(q)
    for choice in q.choices:
        if not choice.text:
            raise QuizImportError(gettext_noop("accepted answer {key}) is empty."), key=choice.key)
        if not 0 <= choice.fraction <= 1:
            raise QuizImportError(
                gettext_noop(
                    "accepted answer {key}) gives {fraction} of the points; expected a value between 0 and 1."
                ),
                key=choice.key,
                fraction=choice.fraction,
            )
        choice.is_correct = choice.fraction > 0
        if numeric:
            if choice.text != "*" and parse_number(choice.text) is None:
                raise QuizImportError(
                    gettext_noop("accepted answer {key}) '{text}' is not a number (or '*' for any other number)."),
                    key=choice.key,
                    text=choice.text,
                )
            if not choice.tolerance >= 0:
                raise QuizImportError(
                    gettext_noop("the tolerance of answer {key}) must not be negative."), key=choice.key
                )
        elif choice.tolerance:
            raise QuizImportError(gettext_noop("only numerical answers have a tolerance."))
    if not any(abs(choice.fraction - 1) < 1e-9 for choice in q.choices):
        raise QuizImportError(gettext_noop("no accepted answer gives all the points; one of them must be worth 100%."))
    names: set[str] = set()
    for unit in q.units:
        unit.name = unit.name.strip()
        if not unit.name or unit.name in names:
            raise QuizImportError(gettext_noop("a unit with an empty or repeated name ('{name}')."), name=unit.name)
        names.add(unit.name)
        if not unit.multiplier > 0:
            raise QuizImportError(
                gettext_noop("unit '{name}' has multiplier {multiplier}; expected a number greater than zero."),
                name=unit.name,
                multiplier=unit.multiplier,
            )
    if q.units and q.units[0].multiplier != 1:
        raise QuizImportError(
            gettext_noop("the first unit ('{name}') is the one the answers are in: its multiplier must be 1."),
            name=q.units[0].name,
        )


def _check_matching(q: QuestionData) -> None:
    """Matching: at least two stems, each with its answer; answers without a stem are distractors."""
    _check_keys(q)
    stems = [c for c in q.choices if c.text]
    if len(stems) < 2:
        raise QuizImportError(
            gettext_noop("a matching question needs at least 2 pairs 'stem -> answer' (found {count})."),
            count=len(stems),
        )
    for choice in q.choices:
        if not choice.match:
            raise QuizImportError(gettext_noop("the pair {key}) has no answer after '->'."), key=choice.key)
        if choice.tolerance:
            raise QuizImportError(gettext_noop("only numerical answers have a tolerance."))
        choice.is_correct, choice.fraction = bool(choice.text), 0.0
    if len({c.text for c in stems}) != len(stems):
        raise QuizImportError(gettext_noop("two pairs have the same stem; each stem must be different."))


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
    _check_keys(q)
    for choice in q.choices:
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
