"""The class of an LMS course follows the course's roster (LTI Names and Role Provisioning).

The LMS lists its members through the names-and-roles service whose address came with a
launch (`LtiContext.memberships_url`). Each listed, active member with a role Estaleiro
knows becomes (or stays) a member of the class with that role — the account found by
platform and `sub`, as on a launch. Members the LMS lists as inactive or deleted, or no
longer lists, leave the class if they came from this LMS: their work stays, and the last
teacher stays too. People added by hand in Estaleiro are left alone.

When the LMS does not answer, or answers nonsense, nothing changes in the class: the error
is recorded on the course for its teachers to read, and the next sync tries again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone
from lti_tool.models import LtiUser
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from classes.models import Membership
from classes.services import ClassError, membership_remove
from config.celery import app as celery_app

from .launch import TimeoutSession
from .models import CourseClass
from .roles import class_role
from .services import account_for, member_sync, tool_key_ensure

logger = logging.getLogger(__name__)

ROSTER_SYNC_TASK = "lti.roster_sync"
ROSTER_SYNC_ALL_TASK = "lti.roster_sync_all"
GONE_STATUSES = {"Inactive", "Deleted"}
ERROR_MAX_CHARS = 1000
USER_FIELDS = ("given_name", "family_name", "name", "email")


@dataclass
class RosterSyncResult:
    ok: bool
    error: str = ""
    members: int = 0
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # would have left, but a class keeps a teacher


def _members(course: CourseClass) -> list[dict]:
    registration = course.context.deployment.registration
    tool_key_ensure()  # the key the token request is signed with
    connector = ServiceConnector(registration.to_registration(), TimeoutSession())
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": course.context.memberships_url})
    members: Any = service.get_members()
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise ValueError("the names-and-roles answer has no list of members")
    return members


def _failed(course: CourseClass, error: str) -> RosterSyncResult:
    error = error[:ERROR_MAX_CHARS]
    CourseClass.objects.filter(pk=course.pk).update(roster_sync_error=error)
    course.roster_sync_error = error
    logger.warning("LMS roster sync of %s failed: %s", course, error)
    return RosterSyncResult(ok=False, error=error)


def roster_sync(*, course: CourseClass) -> RosterSyncResult:
    """Bring the class's LMS members in line with the LMS's list (see the module's text)."""
    course = CourseClass.objects.select_related("context__deployment__registration", "klass").get(pk=course.pk)
    if not course.context.memberships_url:
        return _failed(course, "The LMS gave no names-and-roles service for this course.")
    if course.klass.is_archived:
        return _failed(course, "The class is archived: its roster is not synchronized.")
    try:
        members = _members(course)
    except (LtiException, requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return _failed(course, f"{type(exc).__name__}: {exc}")
    if not any(m.get("status", "Active") not in GONE_STATUSES for m in members):
        # An LMS lists at least the course's teacher: an empty list is a fault, and acting
        # on it would empty the class.
        return _failed(course, "The LMS listed no active member: nothing was changed.")
    return _apply(course, members)


@transaction.atomic
def _apply(course: CourseClass, members: list[dict]) -> RosterSyncResult:
    # One sync of a class at a time: the row lock orders a nightly and an asked-for run.
    course = CourseClass.objects.select_for_update().select_related("klass").get(pk=course.pk)
    registration = course.context.deployment.registration
    klass = course.klass
    present: set[int] = set()
    for member in members:
        sub = str(member.get("user_id") or "")
        role = class_role(member.get("roles") or [])
        if not sub or role is None or member.get("status", "Active") in GONE_STATUSES:
            continue
        details = {name: str(member[name])[:254] for name in USER_FIELDS if member.get(name)}
        lti_user, _created = LtiUser.objects.update_or_create(registration=registration, sub=sub, defaults=details)
        user = account_for(lti_user)
        member_sync(klass=klass, user=user, role=role)
        present.add(user.pk)
    result = RosterSyncResult(ok=True, members=len(present))
    leaving = (
        Membership.objects.filter(klass=klass, user__lti_users__registration=registration)
        .exclude(user_id__in=present)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    for membership in leaving:
        try:
            membership_remove(membership=membership, actor=None)
        except ClassError:
            result.kept.append(membership.user.username)
        else:
            result.removed.append(membership.user.username)
    course.roster_synced_at = timezone.now()
    course.roster_sync_error = ""
    course.save(update_fields=["roster_synced_at", "roster_sync_error"])
    return result


def roster_sync_by_id(course_id: int) -> RosterSyncResult | None:
    course = CourseClass.objects.filter(pk=course_id).first()
    return roster_sync(course=course) if course is not None else None


def courses_to_sync() -> list[int]:
    """Every LMS course with a names-and-roles service, whose class is not archived."""
    return list(
        CourseClass.objects.exclude(context__memberships_url="")
        .filter(klass__archived_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def roster_sync_request(*, course: CourseClass) -> None:
    """Queue a sync of the course's roster once the current transaction commits (by the
    task's registered name: lti.tasks imports this module)."""
    task = celery_app.tasks[ROSTER_SYNC_TASK]
    transaction.on_commit(lambda: task.delay(course.pk))
