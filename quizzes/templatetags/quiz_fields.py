from django import template

from quizzes.rendering import autosave_urls
from quizzes.rendering import question_field as render_question_field

register = template.Library()


@register.simple_tag(takes_context=True)
def question_field(context, view, attempt):
    """{% question_field view attempt %}: one question of the attempt page (quizzes.rendering)."""
    key = ("quiz_fields.autosave_urls", attempt.pk)
    urls = context.render_context.get(key)
    if urls is None:
        urls = context.render_context[key] = autosave_urls(attempt.pk)
    return render_question_field(view, attempt_id=attempt.pk, save_url=urls)
