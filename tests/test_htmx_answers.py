"""htmx answers are made one way: a `{% partialdef %}` of the page they update, rendered as
"page.html#name", and django-htmx's response classes for its headers."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWS = [
    path
    for app in ("classes", "core", "labs", "quizzes")
    for path in (ROOT / app).rglob("*.py")
    if "migrations" not in path.parts
]


def test_no_view_sets_an_htmx_header_by_hand():
    by_hand = re.compile(r"""\[\s*["']HX-""")
    assert VIEWS and not [str(path.relative_to(ROOT)) for path in VIEWS if by_hand.search(path.read_text())]


def test_every_partial_a_view_renders_is_defined_in_its_page():
    named = re.compile(r"""render\(\s*request,\s*["']([\w/.-]+\.html)#([\w-]+)["']""")
    found = [match.groups() for path in VIEWS for match in named.finditer(path.read_text())]
    assert len(found) >= 5  # autosave, review autosave, status poll, operations ping...
    for template, name in found:
        source = (ROOT / "templates" / template).read_text()
        assert re.search(r"\{%\s*partialdef\s+" + re.escape(name) + r"(\s+inline)?\s*%\}", source), (template, name)


def test_no_page_answers_htmx_from_a_separate_partial_file():
    assert not list((ROOT / "templates").glob("*/partials/*.html"))
