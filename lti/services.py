"""What a launch does in Estaleiro: the account, the class, the role and the offering."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from lti_tool.models import Key, LtiContext, LtiResourceLink, LtiUser
from lti_tool.utils import sync_data_from_launch

from classes.models import Class, Membership, Offering
from classes.services import ClassError, class_create, membership_add, membership_role_change, offering_add
from labs.models import Lab
from labs.selectors import lab_spec_or_none
from quizzes.models import Quiz

from .models import CourseClass, LinkedOffering
from .roles import class_role

logger = logging.getLogger(__name__)
User = get_user_model()

# The custom parameter a deep-linked resource carries: which quiz or lab it opens.
ITEM_PARAM = "estaleiro_item"


class LaunchRefused(Exception):
    """A launch Estaleiro will not honour, with the reason the person is shown."""


@dataclass
class Arrival:
    user: Any
    klass: Class
    role: str
    offering: Offering | None
    link: LinkedOffering | None


def tool_key_ensure() -> Key:
    """The tool's signing key: the newest active one, made if there is none (set-up makes it;
    `manage.py rotate_keys` adds a new one and retires old ones)."""
    key = Key.objects.active().order_by("-datetime_created").first()
    return key if key is not None else Key.objects.generate()


def item_parse(value: str | None) -> tuple[Quiz | None, Lab | None]:
    """`quiz:<slug>` or `lab:<slug>` → the quiz or the lab (None, None when unknown)."""
    kind, _sep, slug = (value or "").partition(":")
    if kind == "quiz":
        return Quiz.objects.filter(slug=slug).first(), None
    if kind == "lab":
        return None, Lab.objects.filter(slug=slug, is_active=True).first()
    return None, None


def item_of(offering: Offering) -> str:
    return f"quiz:{offering.quiz.slug}" if offering.quiz_id else f"lab:{offering.lab.slug}"  # type: ignore[union-attr]


def offering_url(offering: Offering) -> str:
    app = "quizzes" if offering.quiz_id else "labs"
    return reverse(f"{app}:detail", kwargs={"class_id": offering.klass_id, "slug": offering.slug})


def account_for(lti_user: LtiUser) -> Any:
    """The Estaleiro account of an LMS user: found by (platform, `sub`) alone — an e-mail the
    LMS sends is never used to match, so nobody takes over an account by claiming its
    address. A new account has no password: it is entered through the LMS."""
    user = lti_user.auth_user
    full_name = (lti_user.given_name, lti_user.family_name)
    if user is None:
        digest = hashlib.sha256(f"{lti_user.registration_id}:{lti_user.sub}".encode()).hexdigest()[:12]
        username = f"lms{lti_user.registration_id}-{digest}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=full_name[0][:150], last_name=full_name[1][:150])
            user.set_unusable_password()
            user.save()
        lti_user.auth_user = user
        lti_user.save(update_fields=["auth_user"])
    changed = []
    if lti_user.given_name and user.first_name != lti_user.given_name[:150]:
        user.first_name = lti_user.given_name[:150]
        changed.append("first_name")
    if lti_user.family_name and user.last_name != lti_user.family_name[:150]:
        user.last_name = lti_user.family_name[:150]
        changed.append("last_name")
    if (
        lti_user.email
        and not user.email
        and not User.objects.filter(email__iexact=lti_user.email).exclude(pk=user.pk).exists()
    ):
        user.email = lti_user.email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)
    return user


def course_class(context: LtiContext) -> Class:
    """The class of an LMS course, made on its first launch and named after it."""
    link = CourseClass.objects.select_related("klass").filter(context=context).first()
    if link is not None:
        if context.title and link.klass.name != context.title[:200]:
            link.klass.name = context.title[:200]
            link.klass.save(update_fields=["name"])
        return link.klass
    name = (context.title or context.label or _("LMS course"))[:200]
    klass = class_create(name=name, term=(context.label or "")[:80], creator=None)
    # Joining by code stays closed: the LMS says who is in the course.
    Class.objects.filter(pk=klass.pk).update(join_open=False)
    klass.refresh_from_db()
    CourseClass.objects.create(context=context, klass=klass)
    return klass


def member_sync(*, klass: Class, user, role: str) -> str:
    """Give the LMS's role in the class. The LMS is the source of truth, but a class keeps
    one teacher: the last teacher's demotion waits until another teacher arrives."""
    membership = Membership.objects.filter(klass=klass, user=user).first()
    if membership is None:
        membership_add(klass=klass, user=user, role=role, actor=None)
        return role
    if membership.role != role:
        try:
            membership_role_change(membership=membership, role=role, actor=None)
        except ClassError:
            return membership.role
    return role


def offering_link(
    *, resource_link: LtiResourceLink, klass: Class, item: str | None, lineitem_url: str = ""
) -> LinkedOffering | None:
    """The offering a resource link opens: the one linked before, else the quiz or lab its
    `estaleiro_item` names, offered in the class if it was not yet."""
    link = LinkedOffering.objects.select_related("offering").filter(resource_link=resource_link).first()
    if link is None:
        quiz, lab = item_parse(item)
        if quiz is None and lab is None:
            return None
        offering = offering_add(klass=klass, quiz=quiz, lab=lab, actor=None)
        link, _created = LinkedOffering.objects.get_or_create(
            resource_link=resource_link, defaults={"offering": offering, "lineitem_url": lineitem_url}
        )
    if lineitem_url and link.lineitem_url != lineitem_url:
        link.lineitem_url = lineitem_url
        link.save(update_fields=["lineitem_url", "updated_at"])
    return link


@transaction.atomic
def launch_accept(lti_launch) -> Arrival:
    """Record what the launch says (django-lti's models), then the account, the class for
    the course, the member's role and, for a resource link, the offering it opens."""
    roles = lti_launch.roles_claim or []
    role = class_role(roles)
    if role is None:
        raise LaunchRefused(
            _("Your role in this LMS course (%(roles)s) gives no access to Estaleiro.")
            % {"roles": ", ".join(r.rsplit("#", 1)[-1] for r in roles) or _("none")}
        )
    if not lti_launch.context_claim or not lti_launch.context_claim.get("id"):
        raise LaunchRefused(_("The LMS sent no course with this launch: open it from inside a course."))
    sync_data_from_launch(lti_launch)
    lti_user = lti_launch.user
    user = account_for(lti_user)
    klass = course_class(lti_launch.context)
    role = member_sync(klass=klass, user=user, role=role)
    link = None
    if lti_launch.is_resource_launch:
        ags = lti_launch.ags_claim or {}
        link = offering_link(
            resource_link=lti_launch.resource_link,
            klass=klass,
            item=lti_launch.get_custom_claim(ITEM_PARAM),
            lineitem_url=str(ags.get("lineitem") or ""),
        )
    return Arrival(user=user, klass=klass, role=role, offering=link.offering if link else None, link=link)


def deep_link_choices(klass: Class) -> list[dict]:
    """What a teacher may add from the LMS: every quiz and every active lab."""
    choices = []
    for quiz in Quiz.objects.order_by("position", "title"):
        choices.append({"item": f"quiz:{quiz.slug}", "kind": "quiz", "title": quiz.title, "obj": quiz})
    for lab in Lab.objects.filter(is_active=True).order_by("position", "title"):
        choices.append({"item": f"lab:{lab.slug}", "kind": "lab", "title": lab.title, "obj": lab})
    return choices


def score_maximum(*, quiz: Quiz | None = None, lab: Lab | None = None) -> float:
    """The line item's maximum: the quiz's points, the lab's maximum score (100 by default)."""
    if quiz is not None:
        return float(quiz.max_score) or 1.0
    spec = lab_spec_or_none(lab=lab) if lab is not None else None
    return float(getattr(spec, "max_score", None) or 100)
