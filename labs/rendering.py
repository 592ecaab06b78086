"""Lab instructions are Markdown written by instructors; render them, then sanitise with nh3
so even a careless or hostile spec cannot put script into a learner's page."""

from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td",
}


def render_markdown(text: str) -> SafeString:
    return mark_safe(_render(text or ""))  # noqa: S308 — sanitised by nh3 in _render


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
