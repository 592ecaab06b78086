"""The LTI app's Celery tasks: each calls one service."""

from celery import shared_task

from .roster import ROSTER_SYNC_ALL_TASK, ROSTER_SYNC_TASK, courses_to_sync, roster_sync_by_id


@shared_task(name=ROSTER_SYNC_TASK, ignore_result=True)
def sync_roster(course_id: int) -> bool | None:
    """Safe to run twice: a sync makes the class match the LMS's list, whatever it was."""
    result = roster_sync_by_id(course_id)
    return None if result is None else result.ok


@shared_task(name=ROSTER_SYNC_ALL_TASK, ignore_result=True)
def sync_all_rosters() -> int:
    """Nightly: one task per course, so an LMS that does not answer holds back only its own."""
    course_ids = courses_to_sync()
    for course_id in course_ids:
        sync_roster.delay(course_id)
    return len(course_ids)
