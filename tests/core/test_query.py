from datetime import date

import pytest

from core.query import date_param, float_param, int_param, int_params

HOSTILE = [
    "",
    " 7",
    "7 ",
    "+7",
    "7_000",
    "²",
    "٧",
    "7\x00",
    "\x00",
    "x",
    "1e3",
    "0x10",
    "--1",
    "1" * 40,
    "７",
    "7\n",
    None,
    ["7"],
    7,
]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_malformed_integers_are_the_default(value):
    assert int_param(value, default=-99) == -99


@pytest.mark.parametrize("value, expected", [("0", 0), ("7", 7), ("007", 7), ("-3", -3), ("9" * 18, int("9" * 18))])
def test_plain_integers(value, expected):
    assert int_param(value) == expected


def test_integer_range():
    assert int_param("-1", minimum=0) is None
    assert int_param("11", maximum=10, default=10) == 10
    assert int_param("5", minimum=1, maximum=10) == 5


def test_integer_lists_keep_the_good_ones_once():
    assert int_params(["3", "²", "3", "x", "-1", "0", "12", "9" * 19]) == [3, 12]


@pytest.mark.parametrize(
    "value", ["", "²", "nan", "inf", "-inf", "1e308", "1" * 30, "1.2.3", "\x00", None, "0x1"], ids=repr
)
def test_malformed_decimals_are_the_default(value):
    assert float_param(value, default=0.0) == 0.0


def test_decimals():
    assert float_param("1.5") == 1.5 and float_param("-2") == -2.0 and float_param("0,25") == 0.25
    assert float_param("7", maximum=5) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2026-02-30",
        "2026-13-01",
        "0000-01-01",
        "²⁰²⁶-01-01",
        "٢٠٢٦-01-01",
        "2026-1-1",
        "2026-01-01\x00",
        "99999-01-01",
        "2026-01-01T00:00",
        None,
    ],
    ids=repr,
)
def test_malformed_dates_are_the_default(value):
    assert date_param(value) is None


def test_dates():
    assert date_param("2026-03-09") == date(2026, 3, 9)
