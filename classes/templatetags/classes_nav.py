"""The class menu: on every page of a class, what its teachers and assistants may open there."""

from django import template

from labs.models import Lab
from quizzes.models import Quiz
from quizzes.reviews import review_counts

from ..models import Class
from ..permissions import Action, actions_for

register = template.Library()


@register.inclusion_tag("partials/class_nav.html", takes_context=True)
def class_nav(context, klass: Class | None):
    request = context.get("request")
    user = getattr(request, "user", None)
    if klass is None or user is None or not isinstance(klass, Class):
        return {"show": False}
    actions = actions_for(user, klass)
    if Action.SEE_WORK not in actions:
        return {"show": False}
    return {
        "show": True,
        "klass": klass,
        "actions": {a.value for a in actions},
        "to_review": review_counts(klass=klass)["to_review"] if Action.REVIEW in actions else 0,
        "labs": list(Lab.objects.filter(offerings__klass=klass).only("slug", "title")),
        "quizzes": list(Quiz.objects.filter(offerings__klass=klass).only("slug", "title")),
        # An LMS course (lti.CourseClass, by its reverse name: classes never imports lti): the
        # page of the grades sent to it.
        "lms": Action.EXPORT in actions and hasattr(klass, "lms_course"),
    }


@register.simple_tag(takes_context=True)
def class_actions(context, klass: Class) -> set[str]:
    """What the request's user may do in the class, as action names ("manage" in actions)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not isinstance(klass, Class):
        return set()
    return {a.value for a in actions_for(user, klass)}
