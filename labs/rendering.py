"""Lab instructions are Markdown written by instructors; render them, then sanitise with nh3
so even a careless or hostile spec cannot put script into a learner's page."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td",
}


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 just above
