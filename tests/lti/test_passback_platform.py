"""Grades back to an LMS nobody here wrote: the test platform (lti1p3platform's AGS, access
tokens checked against the tool's JWKS) receives the scores Estaleiro sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import pytest
from django.utils import timezone
from lti_tool.models import LtiContext, LtiResourceLink, LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from classes.signals import grade_changed_send
from labs.models import Submission
from lti.launch import TimeoutSession
from lti.models import CourseClass, LinkedOffering, ScoreSend
from lti.passback import score_send, scores_send_due
from tests.factories import UserFactory, default_class, lab_from_content, offering_of
from tests.lti.platform.state import DEFAULT_CONTEXT_ID

LINEITEM_SCOPE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.fixture
def sends(monkeypatch):
    from lti import tasks

    monkeypatch.setattr(tasks.send_score, "apply_async", lambda args, **kw: score_send(send_id=args[0]))


def line_item(platform) -> str:
    """A line item in the platform's course, as deep linking makes one."""
    connector = ServiceConnector(platform.registration.to_registration(), requests_session=TimeoutSession())
    service = AssignmentsGradesService(
        connector, {"scope": [LINEITEM_SCOPE, SCORE_SCOPE], "lineitems": platform.lineitems_url()}
    )
    item = service.find_or_create_lineitem(
        LineItem().set_label("Primeiro contêiner").set_score_maximum(100).set_tag("lab:primeiro-conteiner")
    )
    url = item.get_id()
    assert url
    return url


def test_a_grade_arrives_once_and_after_an_outage_arrives_by_the_sweep(lti_platform, sends):
    platform = lti_platform
    lab = lab_from_content("primeiro-conteiner")
    offering = offering_of(lab)
    context = LtiContext.objects.create(
        deployment=platform.registration.deployments.get(), id_on_platform=DEFAULT_CONTEXT_ID
    )
    CourseClass.objects.create(context=context, klass=default_class())
    LinkedOffering.objects.create(
        resource_link=LtiResourceLink.objects.create(context=context, id_on_platform="link-1"),
        offering=offering,
        lineitem_url=line_item(platform),
    )
    ana = UserFactory(username="ana-estaleiro")
    LtiUser.objects.create(registration=platform.registration, sub=platform.sub("ana"), auth_user=ana)
    submission = Submission.objects.create(
        learner=ana,
        lab=lab,
        offering=offering,
        dockerfile="FROM python:3.11-slim\n",
        status="passed",
        score=80,
        max_score=100,
        counted=True,
    )

    grade_changed_send(offering=offering, learner_ids=[ana.pk])
    grade_changed_send(offering=offering, learner_ids=[ana.pk])  # the same value: nothing more
    [score] = platform.scores()
    assert score["userId"] == platform.sub("ana") and score["scoreGiven"] == 80 and score["scoreMaximum"] == 100
    assert score["gradingProgress"] == "FullyGraded" and score["activityProgress"] == "Completed"

    # The LMS's grade service goes down; a regrade changes the grade meanwhile.
    platform.set_down(True)
    Submission.objects.filter(pk=submission.pk).update(score=95)
    grade_changed_send(offering=offering, learner_ids=[ana.pk])
    row = ScoreSend.objects.first()
    assert row is not None and row.state == ScoreSend.State.FAILED and "503" in row.last_error
    assert len(platform.scores()) == 1
    platform.lift()
    assert scores_send_due(now=timezone.now() + timedelta(hours=2)) == {"sent": 1}
    assert [s["scoreGiven"] for s in platform.scores()] == [80, 95]
    assert scores_send_due(now=timezone.now() + timedelta(hours=4)) == {}
    assert len(platform.scores()) == 2
