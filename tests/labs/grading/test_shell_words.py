"""Docker 20.10's word expansion (what its classic builder does to FROM, ARG, ENV, ADD, COPY)."""

import pytest

from labs.grading.shell_words import Binding, Scope, ShellWordError, go_lower, go_trim_space, process_word

SCOPE = Scope(
    {"U": Binding("http://127.0.0.1:8765/x"), "EMPTY": Binding(""), "UNSET": Binding(None), "A": Binding("a b")}
)


def word(text, scope=SCOPE, escape="\\"):
    return process_word(text, scope, escape).text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plain", "plain"),
        ('"http://x/a"', "http://x/a"),
        ("'http://x/a'", "http://x/a"),
        ('h"tt"p://x', "http://x"),
        ("$U", "http://127.0.0.1:8765/x"),
        ("${U}", "http://127.0.0.1:8765/x"),
        ('"$U"', "http://127.0.0.1:8765/x"),
        ("'$U'", "$U"),  # single quotes keep the dollar
        ("\\$U", "$U"),
        ("${UNSET:-http://d/}", "http://d/"),
        ("${EMPTY:-http://d/}", "http://d/"),
        ("${U:-http://d/}", "http://127.0.0.1:8765/x"),
        ("${U:+http://alt/}", "http://alt/"),
        ("${UNSET:+http://alt/}", ""),
        ("${UNSET:-${U}}", "http://127.0.0.1:8765/x"),  # nested
        ("${U?}", "http://127.0.0.1:8765/x"),
        ("$A", "a b"),  # one word: ProcessWord never splits
        ("$", "$"),
        ("$-x", "x"),  # a special parameter, never set here
        ("$12", ""),
        ("a\\", "a"),  # an escape at the end is dropped
        ('"a\\"b"', 'a"b'),
        ('"a\\qb"', "a\\qb"),  # inside double quotes only \" \$ \\ escape
        ("\ufeffhttp://x", "http://x"),  # Go's scanner skips a BOM at the start of the word
        ("a\ufeffb", "a\ufeffb"),
    ],
)
def test_words_expand_as_the_classic_builder_does(text, expected):
    assert word(text) == expected


def test_the_escape_directive_changes_the_escape_character():
    assert word("`$U", escape="`") == "$U"
    assert word("\\$U", escape="`") == "\\http://127.0.0.1:8765/x"
    assert word('"a`"b"', escape="`") == 'a"b'


@pytest.mark.parametrize(
    "text, message",
    [
        ("${U-x}", "missing ':' in substitution"),  # Docker 20.10 has no colon-less forms
        ("${U+x}", "missing ':' in substitution"),
        ("${U:=x}", "unsupported modifier (=) in substitution"),
        ("${U", "missing ':' in substitution"),
        ("${U:-x", "syntax error: missing '}'"),
        ("${", "syntax error: missing '}'"),
        ("${}", "bad substitution"),
        ("${:-x}", "bad substitution"),
        ('"abc', "matching double-quote"),
        ("'abc", "matching single-quote"),
        ("${UNSET?}", "UNSET: is not allowed to be unset"),
        ("${EMPTY:?vazio}", "EMPTY: vazio"),
        ("${NEVER:?}", "NEVER: is not allowed to be unset"),
    ],
)
def test_what_the_builder_refuses_is_an_error(text, message):
    with pytest.raises(ShellWordError) as excinfo:
        process_word(text, SCOPE)
    assert message in str(excinfo.value)
    assert str(excinfo.value).startswith(f'failed to process "{text}"')


def test_unset_names_are_reported_only_when_used_plainly():
    assert process_word("python:${PY}", SCOPE).unresolved == ("PY",)
    assert process_word("python:${PY:-3.11-slim}", SCOPE).unresolved == ()
    assert process_word("$UNSET$UNSET", SCOPE).unresolved == ("UNSET",)


def test_a_name_the_base_image_may_define_is_not_certain():
    open_scope = Scope({"KNOWN": Binding("k")}, closed=False)
    assert process_word("$KNOWN", open_scope).certain
    assert not process_word("$PATH", open_scope).certain
    assert not process_word("${PATH:-x}", open_scope).certain
    assert process_word("literal", open_scope).certain
    assert process_word("$PATH", Scope({}, closed=True)).certain  # FROM scratch: no image ENV


def test_names_beyond_ascii_are_not_trusted():
    # Go's and Python's Unicode tables may cut such a name at different places.
    assert not process_word("$Ü", SCOPE).certain
    assert not process_word("$Uá", SCOPE).certain
    assert process_word("${U}á", SCOPE).certain


def test_go_helpers():
    assert go_trim_space("\u00a0\u3000 RUN x \u2009\t") == "RUN x"
    assert go_trim_space("\u200bX\u200b") == "\u200bX\u200b"  # a zero-width space is not a space for Go
    assert go_lower("Bu\u0130ld") == "build"
    assert go_lower("BUILDER") == "builder"
