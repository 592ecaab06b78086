from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.markdown_html import render_markdown, render_markdown_inline, render_markdown_phrase
from labs.grading.spec import localize as localize_text

register = template.Library()


@register.filter
def localize(value):
    """A content text given as plain pt-BR or as {"pt-BR": ..., "en": ...}, in the page's language."""
    return localize_text(value, get_language())


@register.filter
def lesson_anchor(section: str) -> str:
    """'Boas Práticas ... › Segurança' -> 'seguranca': the anchor of the last heading."""
    from django.utils.text import slugify

    return slugify(section.split("›")[-1].strip())


@register.filter
def markdown(text):
    """Instructor-written Markdown, sanitised (common.markdown_html)."""
    return mark_safe(render_markdown(text))  # noqa: S308 — sanitised by nh3 in render_markdown


@register.filter
def markdown_inline(text):
    """Markdown for a one-line text (a choice): no surrounding paragraph."""
    return mark_safe(render_markdown_inline(text))  # noqa: S308 — sanitised by nh3 in render_markdown_inline


@register.filter
def markdown_excerpt(text, length=160):
    """The first paragraph of a Markdown text, its inline markup rendered, cut at `length` characters."""
    from django.utils.text import Truncator

    return mark_safe(Truncator(render_markdown_phrase(text)).chars(int(length), html=True))  # noqa: S308 — nh3-sanitised


@register.filter
def markdown_plain(text, length=80):
    """The first paragraph of a Markdown text as plain text (for an <option>), cut at `length` characters."""
    from html import unescape

    from django.utils.html import strip_tags
    from django.utils.text import Truncator

    return Truncator(unescape(strip_tags(render_markdown_phrase(text)))).chars(int(length))


@register.filter
def minutes(value) -> str:
    """A duration (timedelta) as whole minutes, for time limits."""
    from django.utils.translation import ngettext

    total = round(value.total_seconds() / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", total) % {"n": total}


@register.filter
def percent(value) -> str:
    """A share (0 to 1) as a whole percentage: 0.2 -> "20%"."""
    return f"{round(float(value) * 100):d}%"
