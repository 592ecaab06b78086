"""One language decision, and every text marked for the catalogue translated in the project's .po."""

import ast
import string
from pathlib import Path

import pytest

from common import i18n
from labs.grading.i18n import CATALOGUE, _merge, t

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
# Where texts are marked with common.i18n.gettext_noop (Django-free code); Django's own
# pages use Django's gettext, which makemessages keeps in step.
MARKED_PACKAGES = ("common", "core", "labs", "quizzes")


def _po_entries(text: str) -> dict[tuple[str | None, str], dict]:
    """(msgctxt, msgid) -> {"msgstr": ..., "flags": {...}}; obsolete (#~) entries left out."""
    entries: dict[tuple[str | None, str], dict] = {}
    current: dict | None = None
    key = ""

    def flush():
        if current and "msgid" in current:
            entries[(current.get("msgctxt"), current["msgid"])] = current

    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            current, key = None, ""
            continue
        if line.startswith("#~"):
            continue
        current = current if current is not None else {"flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        elif not line.startswith("#"):
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return entries


def _marked_texts() -> dict[str, str]:
    """Every literal passed to a function named gettext_noop in the project -> where."""
    found: dict[str, str] = {}
    for package in MARKED_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name != "gettext_noop" or path.name == "i18n.py" and package == "common":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                argument = node.args[0] if node.args else None
                assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), (
                    f"{where}: gettext_noop takes one literal text, which makemessages can extract"
                )
                found.setdefault(argument.value, where)
    return found


def _fields(text: str) -> set[str] | tuple[int, int]:
    """The `{placeholders}`; for a text never formatted (it shows a lone brace), its braces."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return text.count("{"), text.count("}")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("en", "en"),
        ("en-us", "en"),
        ("EN_GB", "en"),
        ("pt-br", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt-BR", "pt-BR"),
        ("", "pt-BR"),
        (None, "pt-BR"),
        ("fr", "pt-BR"),
        ("english", "pt-BR"),
    ],
)
def test_one_function_decides_the_learners_language(given, expected):
    assert i18n.normalize_lang(given) == expected


def test_every_marked_text_is_translated_in_the_po_with_the_same_placeholders():
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    marked = _marked_texts()
    assert len(marked) >= len(set(CATALOGUE.values()))
    problems = []
    for text, where in marked.items():
        entry = entries.get((None, text))
        if entry is None:
            problems.append(f"{where}: not in django.po: {text!r}")
        elif not entry.get("msgstr") or "fuzzy" in entry["flags"]:
            problems.append(f"{where}: no pt_BR translation (empty or fuzzy): {text!r}")
        elif _fields(entry["msgstr"]) != _fields(text):
            problems.append(f"{where}: placeholders differ: {_fields(text)} != {_fields(entry['msgstr'])}")
    assert not problems, "\n".join(problems)


def test_every_engine_message_is_a_marked_text():
    marked = _marked_texts()
    assert [msg_id for msg_id, text in CATALOGUE.items() if text not in marked] == []


def test_engine_messages_read_from_the_compiled_catalogue():
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    stale = [
        msg_id for msg_id, text in CATALOGUE.items() if i18n.gettext(text, "pt-BR") != entries[(None, text)]["msgstr"]
    ]
    assert not stale, f"django.mo is older than django.po (run compilemessages): {stale[:5]}"
    assert all(i18n.gettext(text, "en") == text for text in CATALOGUE.values())


def test_translations_are_loaded_once_per_language():
    assert i18n._translations("pt-BR") is i18n._translations("pt-BR")


def test_a_missing_catalogue_falls_back_to_the_english_text(monkeypatch, tmp_path):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translations.cache_clear()
    try:
        assert t("gate.empty", "pt-BR") == CATALOGUE["gate.empty"]
        assert (
            t("http.status", "pt-BR", method="GET", path="/", got=500, expected=200)
            == "GET / answered 500, expected 200."
        )
    finally:
        monkeypatch.undo()
        i18n._translations.cache_clear()
    assert t("gate.empty", "pt-BR").startswith("O Dockerfile está vazio")


def test_a_message_id_defined_twice_is_refused():
    with pytest.raises(ValueError, match="defined twice"):
        _merge({"x.y": "One"}, {"x.y": "Other"})
