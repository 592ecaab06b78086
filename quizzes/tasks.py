"""Periodic quiz work, run by beat (config/settings.py CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services import attempts_finish_overdue


@shared_task(name="quizzes.finish_overdue_attempts", ignore_result=True)
def finish_overdue_attempts() -> int:
    """Open attempts whose time limit or quiz close date has passed are submitted with the
    answers saved before it, as Moodle's "open attempts are submitted automatically": a
    learner who never comes back still gets a grade, and a late request changes nothing.
    Safe to run twice: each attempt is finished under its row lock, once."""
    return attempts_finish_overdue()
