from django.db.models import QuerySet

from .models import Quiz


def quizzes_for_home(*, user) -> QuerySet[Quiz]:
    return Quiz.objects.filter(is_published=True)
