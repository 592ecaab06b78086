"""A change to a question or a choice touches its quiz's updated_at, which keys the cache of
the quiz's structure (selectors.quiz_structure): admin edits and re-imports are seen at once,
by every process."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Choice, Question, Quiz


@receiver([post_save, post_delete], sender=Question, dispatch_uid="quizzes-question-touches-quiz")
def _question_changed(sender, instance: Question, **kwargs) -> None:
    Quiz.objects.filter(pk=instance.quiz_id).update(updated_at=timezone.now())


@receiver([post_save, post_delete], sender=Choice, dispatch_uid="quizzes-choice-touches-quiz")
def _choice_changed(sender, instance: Choice, **kwargs) -> None:
    Quiz.objects.filter(questions__pk=instance.question_id).update(updated_at=timezone.now())
