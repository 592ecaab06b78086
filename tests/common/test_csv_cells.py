import pytest

from common.csv_cells import csv_safe


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"])
def test_a_formula_start_is_made_text(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Ana Souza", "", "a=b", "1-2", " =1", "'quoted", 3, 2.5, None])
def test_anything_else_is_left_as_it_is(value):
    assert csv_safe(value) == value
