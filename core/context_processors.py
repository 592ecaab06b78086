from django.conf import settings
from django.http import HttpRequest

from .roles import is_instructor


def site(request: HttpRequest) -> dict:
    return {
        "LESSON_URL": settings.LESSON_URL,
        # Site-wide links (classes, operations, admin); a class's own menu is classes_nav's.
        "user_is_instructor": is_instructor(request.user) if hasattr(request, "user") else False,
    }
