"""Markdown written by instructors (quiz questions and choices, lab instructions) as HTML,
sanitised with nh3 so even a careless or hostile text cannot put script into a learner's page.

The results are plain strings of sanitised HTML; the Django side marks them safe where it
puts them into a page (the `markdown` filters of core/templatetags/estaleiro.py)."""

from functools import lru_cache

import markdown
import nh3

ALLOWED_TAGS = set("p br hr strong em code pre blockquote ul ol li h2 h3 h4 a table thead tbody tr th td".split())


def render_markdown(text: str | None) -> str:
    return _render(text or "")


def render_markdown_inline(text: str | None) -> str:
    """Markdown for a one-line text (a choice): no surrounding paragraph."""
    html = _render(text or "").strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


INLINE_TAGS = {"strong", "em", "code", "br"}


def render_markdown_phrase(text: str | None) -> str:
    """The first paragraph of a Markdown text with only its inline markup (code, emphasis), for a
    heading or a one-line summary: lists, links and blocks are reduced to their text."""
    first = (text or "").strip().split("\n\n", 1)[0]
    return nh3.clean(render_markdown_inline(first), tags=INLINE_TAGS, attributes={}).strip()


# The same few texts (questions, choices, instructions) are rendered on every page view:
# Markdown builds its whole parser per call, so the result is kept by text. The output
# depends on nothing but the text, and a cache entry is a sanitised string.
@lru_cache(maxsize=4096)
def _render(text: str) -> str:
    html = markdown.markdown(text, extensions=["fenced_code", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return clean
