"""Reads of the LMS link for its pages: what was sent to the LMS, per offering and learner."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from lti_tool.models import LtiUser

from classes.models import Class

from .models import CourseClass, LinkedOffering, ScoreSend


@dataclass
class LearnerSend:
    learner: object
    send: ScoreSend | None  # the newest, None when nothing was sent yet


@dataclass
class LinkSends:
    link: LinkedOffering
    rows: list[LearnerSend] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r.send is not None and r.send.state in ScoreSend.FAILING)


def course_of(klass: Class) -> CourseClass | None:
    return CourseClass.objects.filter(klass=klass).select_related("context").first()


def class_score_sends(*, klass: Class) -> list[LinkSends]:
    """Each LMS link of the class's offerings, with every learner who has an LMS account for
    it and the newest send of their grade (a value replaced before it was sent is shown only
    when nothing newer exists)."""
    links = list(
        LinkedOffering.objects.filter(offering__klass=klass)
        .exclude(lineitem_url="")
        .select_related("offering__quiz", "offering__lab", "resource_link__context__deployment")
        .order_by("offering__position", "offering_id", "pk")
    )
    result = []
    for link in links:
        registration_id = link.resource_link.context.deployment.registration_id
        learner_ids = set(
            LtiUser.objects.filter(
                registration_id=registration_id,
                auth_user__memberships__klass=klass,
                auth_user__memberships__role="learner",
            ).values_list("auth_user_id", flat=True)
        )
        newest: dict[int, ScoreSend] = {}
        for row in ScoreSend.objects.filter(link=link).select_related("requested_by"):
            held = newest.get(row.learner_id)
            if held is None or (held.state == ScoreSend.State.SUPERSEDED and row.state != ScoreSend.State.SUPERSEDED):
                newest[row.learner_id] = row  # rows come newest first
        learners = get_user_model().objects.filter(pk__in=learner_ids | set(newest)).order_by("username")
        result.append(LinkSends(link=link, rows=[LearnerSend(learner=u, send=newest.get(u.pk)) for u in learners]))
    return result
