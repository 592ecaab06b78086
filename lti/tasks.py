"""The LTI app's Celery tasks: each calls one service and is safe to run twice."""

from celery import shared_task

from .passback import SEND_DUE_SCORES_TASK, SEND_SCORE_TASK, score_send, scores_send_due
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


@shared_task(name=SEND_SCORE_TASK, ignore_result=True)
def send_score(send_id: int) -> str:
    return score_send(send_id=send_id)


@shared_task(name=SEND_DUE_SCORES_TASK, ignore_result=True)
def send_due_scores() -> dict:
    """Beat, every minute: every due score, so a lost message or an LMS that was down loses nothing."""
    return scores_send_due()
