"""Numbers and dates from query strings and form posts, parsed one way everywhere.

A value a person or a script typed is never trusted to be a number: `int()` accepts
" 7", "+7", "7_000" and "٧" (Arabic-Indic seven), and `str.isdigit()` is true for "²",
which `int()` then refuses with a ValueError — a 500. These helpers accept ASCII digits
only, bound the length and the range, and answer `default` for anything else, so a view
decides what a missing or malformed value means instead of crashing on it."""

import math
import re
from collections.abc import Iterable
from datetime import date
from typing import overload

_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,6})?", re.ASCII)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


# Given a default, the answer is always a number.
@overload
def int_param(value: object, *, default: int, minimum: int | None = None, maximum: int | None = None) -> int: ...
@overload
def int_param(
    value: object, *, default: None = None, minimum: int | None = None, maximum: int | None = None
) -> int | None: ...
def int_param(
    value: object, *, default: int | None = None, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """An integer written in ASCII digits (an optional leading '-') within [minimum, maximum]."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        return default
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return default
    return number


def int_params(values: Iterable[object], *, minimum: int | None = 1, maximum: int | None = 2**63 - 1) -> list[int]:
    """The well-formed integers of a repeated key (e.g. chosen choice ids), in order, without repeats."""
    seen: dict[int, None] = {}
    for value in values:
        number = int_param(value, minimum=minimum, maximum=maximum)
        if number is not None:
            seen.setdefault(number)
    return list(seen)


@overload
def float_param(
    value: object, *, default: float, minimum: float | None = None, maximum: float | None = None
) -> float: ...
@overload
def float_param(
    value: object, *, default: None = None, minimum: float | None = None, maximum: float | None = None
) -> float | None: ...
def float_param(
    value: object, *, default: float | None = None, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """A plain decimal number ("2", "-1.5", "0,5"): no exponent, no inf or nan, bounded."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        return default
    number = float(value.strip().replace(",", "."))
    if not math.isfinite(number):
        return default
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return default
    return number


def date_param(value: object, *, default: date | None = None) -> date | None:
    """A calendar date written YYYY-MM-DD (what <input type="date"> sends)."""
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return default
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30, month 13, year 0
        return default
