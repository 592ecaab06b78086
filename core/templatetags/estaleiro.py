from django import template
from django.utils.translation import get_language

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
    """Instructor-written Markdown, sanitised (see labs.rendering)."""
    from labs.rendering import render_markdown

    return render_markdown(text or "")


@register.filter
def markdown_inline(text):
    """Markdown for a one-line text (a choice): no surrounding paragraph."""
    from django.utils.safestring import mark_safe

    from labs.rendering import render_markdown

    html = str(render_markdown(text or "")).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 — already sanitised by render_markdown
