"""Short answer, numerical and matching score as Moodle scores them (quizzes.scoring): tables."""

import pytest

from quizzes.scoring import (
    Accepted,
    Stem,
    Unit,
    offered_answers,
    parse_numeric_response,
    score_matching,
    score_numerical,
    score_shortanswer,
    shortanswer_matches,
)


@pytest.mark.parametrize(
    ("response", "pattern", "case_sensitive", "matches"),
    [
        ("EXPOSE", "EXPOSE", False, True),
        ("expose", "EXPOSE", False, True),  # case ignored by default
        ("expose", "EXPOSE", True, False),  # ...unless the question says so
        ("EXPOSE", "EXPOSE", True, True),
        ("  EXPOSE  ", "EXPOSE", False, True),  # surrounding whitespace trimmed
        ("docker   run", "docker run", False, True),  # inner runs collapsed
        ("docker run", "docker   run", False, True),
        ("docker run -d nginx", "docker*nginx", False, True),  # `*` in the middle
        ("dockernginx", "docker*nginx", False, True),  # `*` is any run, the empty one too
        ("docker run -d nginx:1", "docker*nginx", False, False),  # anchored at both ends
        ("anything", "*", False, True),
        ("2*3", r"2\*3", False, True),  # `\*` is a literal star
        ("263", r"2\*3", False, False),
        ("a.c", "a.c", False, True),  # regex characters are literal
        ("abc", "a.c", False, False),
        ("contêiner", "contêiner", False, True),
        ("conteiner", "contêiner", False, False),  # accents are significant, as in Moodle
        ("CONTÊINER", "contêiner", False, True),  # accented letters fold case too
        ("conte\u0302iner", "contêiner", False, True),  # a combining accent is the same letter
    ],
)
def test_shortanswer_match(response, pattern, case_sensitive, matches):
    assert shortanswer_matches(response, pattern, case_sensitive=case_sensitive) is matches


SHORT = [
    Accepted(id=1, text="EXPOSE", fraction=1.0),
    Accepted(id=2, text="EXPOSE *", fraction=0.5),
    Accepted(id=3, text="*", fraction=0.0),
]


@pytest.mark.parametrize(
    ("response", "credit", "choice"),
    [
        ("expose", 1.0, 1),
        ("EXPOSE 5000", 0.5, 2),  # the first that matches, in order
        ("PORT", 0.0, 3),  # a 0% catch-all still says what matched (its feedback)
    ],
)
def test_shortanswer_first_match_gives_its_credit(response, credit, choice):
    assert score_shortanswer(response, SHORT, case_sensitive=False) == (
        credit,
        [{"code": "accepted", "choice": choice, "fraction": credit}],
    )


def test_shortanswer_without_match_or_blank():
    accepted = [Accepted(id=1, text="EXPOSE", fraction=1.0)]
    assert score_shortanswer("RUN", accepted, case_sensitive=False) == (0.0, [{"code": "no_match"}])
    assert score_shortanswer("   ", accepted, case_sensitive=False) == (0.0, [])


UNITS = [Unit("GB", 1), Unit("MB", 1024)]


@pytest.mark.parametrize(
    ("response", "value", "problem"),
    [
        ("3.5", 3.5, None),
        ("3,5", 3.5, None),  # decimal comma
        ("-2e3", -2000.0, None),
        ("5 GB", 5.0, None),
        ("5GB", 5.0, None),
        ("2048 MB", 2.0, None),  # divided by the unit's multiplier
        ("5", 5.0, None),  # no unit: the first one
        ("5 XB", None, {"code": "unknown_unit", "unit": "XB", "units": ["GB", "MB"]}),
        ("5 gb", None, {"code": "unknown_unit", "unit": "gb", "units": ["GB", "MB"]}),  # units keep their case
        ("cinco", None, {"code": "not_a_number"}),
        ("3.5.1", None, {"code": "not_a_number"}),
        ("", None, {"code": "not_a_number"}),
    ],
)
def test_numeric_response_read(response, value, problem):
    assert parse_numeric_response(response, UNITS) == (value, problem)


NUMERIC = [
    Accepted(id=1, text="3.5", fraction=1.0, tolerance=0.1),
    Accepted(id=2, text="3.5", fraction=0.5, tolerance=1),
    Accepted(id=3, text="*", fraction=0.1),
]


@pytest.mark.parametrize(
    ("response", "credit", "choice"),
    [
        ("3.5", 1.0, 1),
        ("3,5", 1.0, 1),
        ("3.6", 1.0, 1),  # exactly on the upper bound (3.6 - 3.5 is 0.10000000000000009 in binary)
        ("3.4", 1.0, 1),  # exactly on the lower bound
        ("3.61", 0.5, 2),  # past the first bound: the next answer, in order
        ("4.5", 0.5, 2),
        ("-100", 0.1, 3),  # `*`: any other number
    ],
)
def test_numerical_first_within_tolerance(response, credit, choice):
    assert score_numerical(response, NUMERIC, []) == (
        credit,
        [{"code": "accepted", "choice": choice, "fraction": credit}],
    )


def test_numerical_units_wrong_and_unknown():
    accepted = [Accepted(id=1, text="2", fraction=1.0, tolerance=0)]
    assert score_numerical("2048 MB", accepted, UNITS)[0] == 1.0
    assert score_numerical("2 GB", accepted, UNITS)[0] == 1.0
    assert score_numerical("3", accepted, UNITS) == (0.0, [{"code": "no_match"}])
    assert score_numerical("2 XB", accepted, UNITS) == (
        0.0,
        [{"code": "unknown_unit", "unit": "XB", "units": ["GB", "MB"]}],
    )
    # A question without units: any unit is unknown, and `*` does not take what is no number.
    assert score_numerical("2 GB", accepted, []) == (0.0, [{"code": "unknown_unit", "unit": "GB", "units": []}])
    assert score_numerical("dois", [Accepted(id=9, text="*", fraction=1.0)], []) == (0.0, [{"code": "not_a_number"}])
    assert score_numerical(" ", accepted, []) == (0.0, [])


STEMS = [
    Stem(id=1, match="diretório"),
    Stem(id=2, match="copia"),
    Stem(id=3, match="comando"),
    Stem(id=4, match="copia"),
]


@pytest.mark.parametrize(
    ("response", "credit", "rights"),
    [
        ({"1": "diretório", "2": "copia", "3": "comando", "4": "copia"}, 1.0, [True] * 4),
        ({"1": "diretório", "2": "copia", "3": "copia", "4": "diretório"}, 0.5, [True, True, False, False]),
        ({"1": "comando", "2": "porta", "3": "diretório"}, 0.0, [False] * 4),  # "porta": a distractor
        ({}, 0.0, [False] * 4),
    ],
    ids=["all", "half", "none", "blank"],
)
def test_matching_each_stem_earns_its_share(response, credit, rights):
    score, entries = score_matching(response, STEMS)
    assert score == credit
    assert [entry["right"] for entry in entries] == rights
    assert [entry["choice"] for entry in entries] == [1, 2, 3, 4]


def test_matching_offers_each_distinct_answer_once_distractors_included():
    pairs = [(3, "comando"), (1, "copia"), (2, "copia"), (4, "porta")]
    assert offered_answers(pairs) == ["comando", "copia", "porta"]
