"""Signals other apps listen to. Low in the layers, so labs, quizzes and classes may send
them and an app above them (lti) may receive them without being imported by them."""

import logging
from collections.abc import Iterable

from django.dispatch import Signal

log = logging.getLogger(__name__)

# A learner's grade on an offering may have changed: a lab verdict stored (first grading or
# a regrade), a late penalty recomputed, a quiz attempt finished, essay reviews released or
# rescored, a grading setting changed. Sent with `offering` (an Offering) and `learner_ids`
# (a list of user ids), inside the transaction that made the change when there is one, so
# what a receiver records commits with it. Sent liberally: a receiver compares values.
grade_changed = Signal()


def grade_changed_send(*, offering, learner_ids: Iterable[int]) -> None:
    """Tell the receivers; one that fails is logged and never undoes the grade change."""
    ids = sorted({int(i) for i in learner_ids})
    if not ids:
        return
    for receiver, outcome in grade_changed.send_robust(sender=type(offering), offering=offering, learner_ids=ids):
        if isinstance(outcome, Exception):
            log.error("grade_changed receiver %r failed", receiver, exc_info=outcome)
