"""How the typed kinds are scored, as Moodle scores them (so an imported bank scores the same).

Pure functions on plain values: the services map questions and choices onto them, and the
unit tests read as tables. Each returns the credit (0..1) and feedback entries — plain dicts
stored on the answer (Answer.feedback) and described in the reader's language by
quizzes.results:

- ``{"code": "accepted", "choice": id, "fraction": f}``: the first accepted answer that matched;
- ``{"code": "no_match"}``: a response that matched none;
- ``{"code": "not_a_number"}``: a numerical response that is no number;
- ``{"code": "unknown_unit", "unit": "XB", "units": ["GB", "MB"]}``: a unit the question does not take;
- ``{"code": "stem", "choice": id, "given": text, "right": bool}``: one stem of a matching question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .importers.validation import parse_number

# Moodle adds 10^-precision (PHP's 14 digits) to a tolerance, so an answer exactly on the bound
# is accepted despite binary fractions (3.5 + 0.1 is 3.6000000000000001); relative here, so a
# large value keeps the same margin.
_EPSILON = 1e-12


@dataclass(frozen=True)
class Accepted:
    """An accepted answer of a short-answer or numerical question, in the author's order."""

    id: int
    text: str  # short answer: a pattern (`*` any run of characters); numerical: a number or `*`
    fraction: float
    tolerance: float = 0.0


@dataclass(frozen=True)
class Unit:
    name: str
    multiplier: float = 1.0


@dataclass(frozen=True)
class Stem:
    id: int
    match: str  # the answer paired with this stem


def normalize_text(text: str) -> str:
    """What a typed answer is compared as: composed Unicode (an accent typed as a combining
    mark equals the precomposed letter), no surrounding whitespace, inner runs as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _pattern(text: str, case_sensitive: bool) -> re.Pattern[str]:
    # `*` is any run of characters, `\*` a literal star (Moodle's compare_string_with_wildcard).
    parts = re.split(r"(\\\*|\*)", normalize_text(text))
    body = "".join(".*" if part == "*" else re.escape("*" if part == "\\*" else part) for part in parts)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def shortanswer_matches(response: str, pattern: str, *, case_sensitive: bool) -> bool:
    return _pattern(pattern, case_sensitive).fullmatch(normalize_text(response)) is not None


def score_shortanswer(response: str, accepted: Sequence[Accepted], *, case_sensitive: bool) -> tuple[float, list]:
    """The first accepted answer (in order) the response matches gives its credit."""
    if not normalize_text(response):
        return 0.0, []
    for answer in accepted:
        if shortanswer_matches(response, answer.text, case_sensitive=case_sensitive):
            return answer.fraction, [{"code": "accepted", "choice": answer.id, "fraction": answer.fraction}]
    return 0.0, [{"code": "no_match"}]


_NUMBER_AND_UNIT = re.compile(r"^([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(.*)$")


def parse_numeric_response(response: str, units: Sequence[Unit]) -> tuple[float | None, dict | None]:
    """("5,5 GB", units) -> (value in the answers' unit, None), or (None, the feedback entry
    that says why it cannot be read). No unit means the first one (the answers' own)."""
    match = _NUMBER_AND_UNIT.match(normalize_text(response))
    number = parse_number(match.group(1)) if match else None
    if match is None or number is None:
        return None, {"code": "not_a_number"}
    unit = match.group(2).strip()
    if not unit:
        return number, None
    if unit[0].isdigit() or unit[0] in ".,+-":  # "3.5.1", "2,5,0": no unit starts so
        return None, {"code": "not_a_number"}
    for known in units:
        if known.name == unit:
            return number / known.multiplier, None
    return None, {"code": "unknown_unit", "unit": unit[:40], "units": [u.name for u in units]}


def within(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance + _EPSILON * max(1.0, abs(target))


def score_numerical(response: str, accepted: Sequence[Accepted], units: Sequence[Unit]) -> tuple[float, list]:
    """The first accepted answer (in order) within its tolerance gives its credit; `*` accepts
    any number. A response that is no number, or carries a unit the question lacks, scores 0."""
    if not normalize_text(response):
        return 0.0, []
    value, problem = parse_numeric_response(response, units)
    if value is None:
        return 0.0, [problem]
    for answer in accepted:
        target = None if answer.text.strip() == "*" else parse_number(answer.text)
        if answer.text.strip() == "*" or (target is not None and within(value, target, answer.tolerance)):
            return answer.fraction, [{"code": "accepted", "choice": answer.id, "fraction": answer.fraction}]
    return 0.0, [{"code": "no_match"}]


def score_matching(response: Mapping[str, str], stems: Sequence[Stem]) -> tuple[float, list]:
    """Each stem answered with its own answer earns 1/(number of stems)."""
    if not stems:
        return 0.0, []
    entries, right = [], 0
    for stem in stems:
        given = response.get(str(stem.id), "")
        is_right = bool(given) and given == stem.match
        right += is_right
        entries.append({"code": "stem", "choice": stem.id, "given": given, "right": is_right})
    return right / len(stems), entries


def offered_answers(pairs: Sequence[tuple[int, str]]) -> list[str]:
    """The answer texts offered for every stem of a matching question: each distinct answer once
    (distractors included), in the order of `pairs` (choice id, answer)."""
    seen: dict[str, None] = {}
    for _id, text in pairs:
        if text:
            seen.setdefault(text, None)
    return list(seen)
