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
