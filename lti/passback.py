"""Grades back to the LMS (LTI Assignment and Grade Services): each learner's final grade on
an offering goes to the line item of every LMS link that opens it, once per value.

- `grade_changed` records a new `ScoreSend` only when the value differs from the newest one
  recorded for that link and learner (sent, waiting or failing); the rows of values it
  replaces that were not sent yet become superseded and are never sent. It runs inside the
  transaction that changed the grade, so the row commits with the change or not at all.
- `score_send` claims a row (a conditional update: never two sends of one row at once), posts
  the score with PyLTI1p3 and records the outcome: sent; failed, retried with exponential
  backoff; or given up when the LMS refuses it for good (a 4xx but 401, 408 and 429).
- `scores_send_due` (beat, every minute) sends every row that is due, so a lost Celery
  message, a Redis restart or an LMS that was down loses nothing.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Final

import requests
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from lti_tool.models import LtiRegistration, LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector, TServiceConnectorResponse

from classes.models import Offering
from config.celery import app as celery_app

from .grades import LmsGrade, offering_grades
from .launch import TimeoutSession
from .models import LinkedOffering, ScoreSend

log = logging.getLogger(__name__)

SEND_SCORE_TASK = "lti.send_score"
SEND_DUE_SCORES_TASK = "lti.send_due_scores"
SCORE_SCOPE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# How long a claimed row is the claimer's: past it, a send that died mid-way is taken again.
CLAIM_SECONDS = 120
# A sweep stops taking rows after this long, before the next one starts.
SWEEP_SECONDS = 45
# The LMS's refusals that are worth trying again: its token, its clock, its rate limit.
RETRYABLE_4XX = frozenset({401, 408, 429})

State = ScoreSend.State
UNSENT = (State.PENDING, State.FAILED)


def _links(offering: Offering) -> list[LinkedOffering]:
    return list(
        LinkedOffering.objects.filter(offering=offering)
        .exclude(lineitem_url="")
        .select_related("resource_link__context__deployment__registration")
    )


def _registration_of(link: LinkedOffering) -> LtiRegistration:
    return link.resource_link.context.deployment.registration


def grade_changed(*, offering: Offering, learner_ids: Iterable[int]) -> list[ScoreSend]:
    """Record the grade of each learner who reached the offering through an LMS link, where it
    is new; the new rows are sent once the transaction commits. The rows made."""
    ids = sorted(set(learner_ids))
    links = _links(offering) if ids else []
    if not links:
        return []
    grades = offering_grades(offering=offering, learner_ids=ids)
    made = []
    for link in links:
        lti_users = {
            u.auth_user_id: u
            for u in LtiUser.objects.filter(registration=_registration_of(link), auth_user_id__in=ids).order_by("pk")
        }
        for learner_id in ids:
            lti_user = lti_users.get(learner_id)
            if lti_user is None:
                continue  # never came through the LMS: it has no line item for them
            row = _record(link=link, learner_id=learner_id, lti_user=lti_user, grade=grades.get(learner_id))
            if row is not None:
                made.append(row)
    return made


def _record(
    *,
    link: LinkedOffering,
    learner_id: int,
    lti_user: LtiUser,
    grade: LmsGrade | None,
    force: bool = False,
    requested_by=None,
) -> ScoreSend | None:
    """The new row for this value, or None when it is no news (or there is no grade)."""
    with transaction.atomic():
        # One writer per link at a time: two grade changes of one learner cannot both add a row.
        LinkedOffering.objects.select_for_update().filter(pk=link.pk).first()
        rows = ScoreSend.objects.filter(link=link, learner_id=learner_id)
        newest = rows.exclude(state=State.SUPERSEDED).first()
        if not force and grade is not None and newest is not None and _same(newest, grade):
            return None
        # What was waiting to be sent is out of date: it is never sent.
        rows.filter(state__in=UNSENT).update(state=State.SUPERSEDED, claimed_until=None)
        if grade is None:
            return None
        newest = rows.exclude(state=State.SUPERSEDED).first()
        if not force and newest is not None and newest.state == State.SENT and _same(newest, grade):
            return None  # back to the value the LMS already holds
        row = ScoreSend.objects.create(
            link=link,
            learner_id=learner_id,
            lti_user=lti_user,
            score_given=grade.given,
            score_maximum=grade.maximum,
            state=State.PENDING,
            next_try_at=timezone.now(),
            requested_by=requested_by,
        )
        transaction.on_commit(lambda: _enqueue(row.pk))
    return row


def _same(row: ScoreSend, grade: LmsGrade) -> bool:
    return Decimal(row.score_given) == grade.given and Decimal(row.score_maximum) == grade.maximum


def _enqueue(send_id: int) -> None:
    # By its registered name (lti/apps.py imports the task module in every process). A broker
    # that is down loses nothing: the row is due, and the beat sweep sends it.
    try:
        celery_app.tasks[SEND_SCORE_TASK].apply_async((send_id,))
    except Exception:
        log.warning("score send %s not queued; the sweep will send it", send_id, exc_info=True)


def score_resend(*, link: LinkedOffering, learner, actor) -> ScoreSend | None:
    """An instructor's resend: the learner's grade as it is now, sent again even if the LMS
    has it. None when there is no final grade to send or the learner has no LMS account."""
    registration = _registration_of(link)
    lti_user = LtiUser.objects.filter(registration=registration, auth_user=learner).order_by("pk").first()
    if lti_user is None or not link.lineitem_url:
        return None
    grade = offering_grades(offering=link.offering, learner_ids=[learner.pk]).get(learner.pk)
    if grade is None:
        return None
    return _record(link=link, learner_id=learner.pk, lti_user=lti_user, grade=grade, force=True, requested_by=actor)


def scores_resend_failed(*, links: Iterable[LinkedOffering], actor) -> int:
    """Resend every learner's grade whose newest send failed or was given up. How many."""
    count = 0
    for link in links:
        newest: dict[int, ScoreSend] = {}
        for row in ScoreSend.objects.filter(link=link).exclude(state=State.SUPERSEDED).select_related("learner"):
            newest.setdefault(row.learner_id, row)  # rows come newest first
        for row in newest.values():
            if row.state in (State.FAILED, State.GAVE_UP):
                count += score_resend(link=link, learner=row.learner, actor=actor) is not None
    return count


def backoff_seconds(tries: int) -> float:
    """30 s, 60 s, 120 s… up to an hour, each ±20 % so a crowd of retries spreads out."""
    base = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(tries - 1, 0))
    return base * random.uniform(0.8, 1.2)


class _Connector(ServiceConnector):
    """PyLTI1p3's, but a 2xx answer is a delivered score whatever its body: some LMSs answer a
    score with an empty or a non-JSON body, which PyLTI1p3 would fail to parse after the LMS
    took the score (and the score would be sent again)."""

    def make_service_request(
        self,
        scopes: Sequence[str],
        url: str,
        is_post: bool = False,
        data: str | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        case_insensitive_headers: bool = False,
    ) -> TServiceConnectorResponse:
        if not is_post:
            return super().make_service_request(
                scopes, url, data=data, accept=accept, case_insensitive_headers=case_insensitive_headers
            )
        headers = {
            "Authorization": "Bearer " + self.get_access_token(scopes),
            "Accept": accept,
            "Content-Type": content_type,
        }
        answer = self._requests_session.post(url, data=data or None, headers=headers)
        if not answer.ok:
            raise LtiServiceException(answer)
        return {"headers": dict(answer.headers), "body": None, "next_page_url": None}


class _Connectors:
    """One ServiceConnector per registration for a sweep: its access token is reused."""

    def __init__(self) -> None:
        self._by_registration: dict[int, ServiceConnector] = {}

    def get(self, registration: LtiRegistration) -> ServiceConnector:
        if registration.pk not in self._by_registration:
            self._by_registration[registration.pk] = _Connector(
                registration.to_registration(), requests_session=TimeoutSession()
            )
        return self._by_registration[registration.pk]


def _claimable(now):
    return (
        ScoreSend.objects.filter(state__in=UNSENT)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )


def score_send(*, send_id: int, connectors: _Connectors | None = None, now=None) -> str:
    """Send one row if it is due and nobody holds it. Safe to call twice: the claim decides.
    Returns the outcome: sent, failed, gave_up, superseded or not-claimed."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    if (
        not _claimable(now)
        .filter(pk=send_id)
        .update(claim_token=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    ):
        return "not-claimed"
    row = ScoreSend.objects.select_related("link__resource_link__context__deployment__registration", "lti_user").get(
        pk=send_id
    )
    registration = _registration_of(row.link)
    outcome: str = State.SENT
    error = ""
    try:
        if not registration.is_active:
            raise _NotNow("the LMS registration is not active")
        connector = (connectors or _Connectors()).get(registration)
        service = AssignmentsGradesService(connector, {"scope": [SCORE_SCOPE], "lineitem": row.link.lineitem_url})
        grade = (
            Grade()
            .set_user_id(row.lti_user.sub)
            .set_score_given(float(row.score_given))
            .set_score_maximum(float(row.score_maximum))
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_timestamp(timezone.now().isoformat())
        )
        service.put_grade(grade)
    except LtiServiceException as exc:
        outcome, error = _judge(exc, token_url=registration.token_url)
    except (_NotNow, requests.RequestException) as exc:
        outcome, error = State.FAILED, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a fault of ours or of the library: retried, and logged
        log.exception("score send %s failed", send_id)
        outcome, error = State.FAILED, f"{type(exc).__name__}: {exc}"
    return _settle(row, token=token, outcome=outcome, error=error, now=now)


class _NotNow(Exception):
    pass


def _judge(exc: LtiServiceException, *, token_url: str) -> tuple[str, str]:
    response = exc.response
    status = response.status_code
    message = f"HTTP {status}: {(response.text or '').strip()}"[:2000]
    if response.url == token_url or response.url.split("?")[0] == token_url:
        # Its access token refused: the registration is to be fixed, then the send goes through.
        return State.FAILED, f"access token: {message}"
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return State.GAVE_UP, message
    return State.FAILED, message


def _settle(row: ScoreSend, *, token: str, outcome: str, error: str, now) -> str:
    tries = row.tries + 1
    fields: dict = {"tries": tries, "last_error": error, "claim_token": "", "claimed_until": None}
    if outcome == State.SENT:
        fields.update(sent_at=now, next_try_at=None, last_error="")
    elif outcome == State.FAILED:
        fields.update(next_try_at=now + timedelta(seconds=backoff_seconds(tries)))
    else:
        fields.update(next_try_at=None)
    mine = ScoreSend.objects.filter(pk=row.pk, claim_token=token)
    if mine.filter(state__in=UNSENT).update(state=outcome, **fields):
        return str(outcome)
    # Superseded while it was on its way: it stays superseded, with what became of it.
    mine.update(**fields)
    return "superseded"


def scores_send_due(*, now=None, budget_seconds: float = SWEEP_SECONDS) -> dict[str, int]:
    """Send every due row, oldest due first. When an LMS fails one, its other rows wait for the
    next sweep (each row keeps its own backoff). Counts by outcome."""
    started = time.monotonic()
    now = now or timezone.now()
    counts: dict[str, int] = {}
    connectors = _Connectors()
    down: set[int] = set()
    due = (
        _claimable(now)
        .order_by("next_try_at", "pk")
        .values_list("pk", "link__resource_link__context__deployment__registration_id")
    )
    for send_id, registration_id in list(due[:1000]):
        if time.monotonic() - started > budget_seconds:
            break
        if registration_id in down:
            continue
        outcome = score_send(send_id=send_id, connectors=connectors, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == State.FAILED:
            down.add(registration_id)
    return counts
