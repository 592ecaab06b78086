"""What the LMS link does when Estaleiro's apps announce a change. The apps never import lti
(it sits on top of them): they send classes.signals.grade_changed, connected here."""

from django.db import transaction
from django.dispatch import receiver

from classes.signals import grade_changed

from . import passback


@receiver(grade_changed, dispatch_uid="lti-grade-changed")
def _grade_changed(sender, *, offering, learner_ids, **kwargs) -> None:
    # A savepoint of its own: a failure here is logged by the sender and undoes nothing of the
    # grade change, while a row recorded commits with it.
    with transaction.atomic():
        passback.grade_changed(offering=offering, learner_ids=learner_ids)
