from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .roles import is_instructor


def _instructor_nav() -> dict:
    """What the instructors' menu links to: the essay answers awaiting review (the queue's own
    count), each lab's submissions, each quiz's statistics."""
    from labs.models import Lab
    from quizzes.models import Quiz
    from quizzes.reviews import review_counts

    return {
        "to_review": review_counts()["to_review"],
        "labs": list(Lab.objects.only("slug", "title")),
        "quizzes": list(Quiz.objects.only("slug", "title")),
    }


def site(request: HttpRequest) -> dict:
    instructor = is_instructor(request.user) if hasattr(request, "user") else False
    return {
        "LESSON_URL": settings.LESSON_URL,
        "user_is_instructor": instructor,
        # Read only by the pages that render the menu, and only for instructors.
        "instructor_nav": SimpleLazyObject(_instructor_nav) if instructor else None,
    }
