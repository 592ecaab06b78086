"""Cells of the CSV exports (grades, lab scores): text a learner chose ends up in them."""

from typing import TypeVar

Cell = TypeVar("Cell")

# What a spreadsheet reads as the start of a formula (=SUM(...), +cmd|..., @SUM(...)), and the
# tab and carriage return some strip before they look.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Cell) -> Cell | str:
    """The cell as text a spreadsheet shows and never runs: a leading ' before any formula start.

    Values that are not text (numbers, None) pass unchanged."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return f"'{value}"
    return value
