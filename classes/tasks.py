"""The classes' Celery tasks: each calls one service."""

from celery import shared_task

from .roster_import import ROSTER_INVITATIONS_TASK, roster_invitations_send


@shared_task(name=ROSTER_INVITATIONS_TASK)
def send_roster_invitations(klass_id: int, user_ids: list[int], base_url: str, lang: str) -> int:
    return roster_invitations_send(klass_id=klass_id, user_ids=user_ids, base_url=base_url, lang=lang)
