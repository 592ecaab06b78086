from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.markdown_html import render_markdown, render_markdown_inline
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
