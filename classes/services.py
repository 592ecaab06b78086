"""Writes for classes: creating one, its content and settings, people, extensions, archiving,
and the log of who did what."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labs.models import Lab
from labs.services import submissions_lateness_refresh
from quizzes.models import Quiz
from quizzes.services import attempts_deadline_refresh

from .models import QUIZ_SETTING_FIELDS, Class, ClassEvent, Extension, Membership, Offering, Role, new_join_code
from .permissions import forget_roles
from .selectors import user_by_login
from .signals import grade_changed_send


class ClassError(ValueError):
    """A class change that cannot be made; the message says why."""


def class_writable(klass: Class) -> None:
    """Refuse a change to an archived class: its grades stay, read-only, until it is restored."""
    if klass.is_archived:
        raise ClassError(_("This class is archived: its work can be read but no longer changed."))


def class_event_log(*, klass: Class, actor: User | None, action: str, summary: str = "", detail=None) -> ClassEvent:
    return ClassEvent.objects.create(klass=klass, actor=actor, action=action, summary=summary, detail=detail or {})


@transaction.atomic
def class_create(*, name: str, term: str = "", creator: User | None, starts_on=None, ends_on=None) -> Class:
    """A new class, its creator its teacher."""
    klass = Class.objects.create(name=name, term=term, starts_on=starts_on, ends_on=ends_on, created_by=creator)
    if creator is not None:
        Membership.objects.create(klass=klass, user=creator, role=Role.TEACHER)
        forget_roles(creator)
    class_event_log(klass=klass, actor=creator, action=ClassEvent.Action.CREATED, detail={"name": name, "term": term})
    return klass


def offering_add(*, klass: Class, quiz=None, lab=None, actor: User | None = None) -> Offering:
    """Offer a quiz or a lab in the class: a quiz starts from its file's settings (its
    defaults); dates are the class's to set. Adding what is already offered returns it."""
    if (quiz is None) == (lab is None):
        raise ClassError(_("Choose one quiz or one lab."))
    existing = Offering.objects.filter(klass=klass, quiz=quiz, lab=lab).first()
    if existing is not None:
        return existing
    class_writable(klass)
    settings = {}
    position = 0
    if quiz is not None:
        settings = {k: v for k, v in (quiz.settings_defaults or {}).items() if k in QUIZ_SETTING_FIELDS}
        position = quiz.position
    else:
        position = 1000 + lab.position
    try:
        with transaction.atomic():
            offering = Offering.objects.create(klass=klass, quiz=quiz, lab=lab, position=position, **settings)
    except IntegrityError:
        return Offering.objects.get(klass=klass, quiz=quiz, lab=lab)
    class_event_log(klass=klass, actor=actor, action=ClassEvent.Action.OFFERING, detail={"added": offering.slug})
    return offering


# The offering's settings that work already made stores the effect of (see _follow_terms).
TERMS_FIELDS = frozenset({"time_limit_minutes", "due_at", "late_policy", "late_penalty_percent"})


@transaction.atomic
def offering_settings_save(*, offering: Offering, actor: User | None, changed: Iterable[str]) -> None:
    """Save an offering's changed settings (a form set them on it), log the change with the
    new values, and apply it to work already made: open attempts follow a new time limit,
    submissions a new due date or late policy."""
    changed = list(changed)
    if not changed:
        return
    class_writable(offering.klass)
    offering.save()
    class_event_log(
        klass=offering.klass,
        actor=actor,
        action=ClassEvent.Action.OFFERING,
        detail={
            "content": offering.slug,
            "fields": changed,
            "values": {name: _loggable(getattr(offering, name, None)) for name in changed},
        },
    )
    # Only these settings change work already made (an attempt's own deadline, a submission's
    # lateness); dates that are read live (opening, closing) and display options need nothing.
    if TERMS_FIELDS.intersection(changed):
        for learner_id in _learners_with_work(offering):
            _follow_terms(offering, learner_id)
    if "grading_method" in changed:
        # Which attempts make the quiz's grade: every learner's grade may be another now.
        grade_changed_send(offering=offering, learner_ids=_learners_with_work(offering))


def _loggable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@transaction.atomic
def class_settings_save(*, klass: Class, actor: User | None, changed: Iterable[str]) -> None:
    """Save a class's changed settings (name, term, dates, joining), logged with the new values."""
    changed = list(changed)
    if not changed:
        return
    class_writable(klass)
    klass.save()
    class_event_log(
        klass=klass,
        actor=actor,
        action=ClassEvent.Action.SETTINGS,
        detail={"fields": changed, "values": {name: _loggable(getattr(klass, name, None)) for name in changed}},
    )
    if "lab_score_rule" in changed:
        # Best or latest submission: every lab grade of the class may be another now.
        for offering in Offering.objects.filter(klass=klass, lab__isnull=False).select_related("klass", "lab"):
            grade_changed_send(offering=offering, learner_ids=_learners_with_work(offering))


def _learners_with_work(offering: Offering) -> set[int]:
    if offering.quiz_id:
        return set(offering.attempts.values_list("learner_id", flat=True))
    return set(offering.submissions.values_list("learner_id", flat=True))


def _follow_terms(offering: Offering, learner_id: int) -> None:
    if offering.quiz_id:
        attempts_deadline_refresh(offering=offering, learner_id=learner_id)
    else:
        submissions_lateness_refresh(offering=offering, learner_id=learner_id)


@dataclass(frozen=True)
class ExtensionTerms:
    due_at: datetime | None = None
    closes_at: datetime | None = None
    extra_attempts: int = 0
    time_multiplier: float | None = None
    extra_minutes: int = 0
    reason: str = ""

    def is_empty(self) -> bool:
        return not (self.due_at or self.closes_at or self.extra_attempts or self.time_multiplier or self.extra_minutes)


@transaction.atomic
def extensions_grant(
    *, offering: Offering, learners: Iterable[User], terms: ExtensionTerms, granted_by: User | None, now=None
) -> int:
    """Give each learner (one, or a selected group at once) these terms in the offering,
    replacing an extension they had; their open attempts and past submissions follow at once.
    Logged. Returns how many learners."""
    class_writable(offering.klass)
    if terms.is_empty():
        raise ClassError(_("An extension must give a date, attempts or time."))
    now = now or timezone.now()
    learner_ids = set(
        Membership.objects.filter(klass=offering.klass, role=Role.LEARNER, user__in=list(learners)).values_list(
            "user_id", flat=True
        )
    )
    if not learner_ids:
        raise ClassError(_("Choose at least one learner of this class."))
    for learner_id in sorted(learner_ids):
        Extension.objects.update_or_create(
            offering=offering,
            learner_id=learner_id,
            defaults={
                "due_at": terms.due_at,
                "closes_at": terms.closes_at,
                "extra_attempts": terms.extra_attempts,
                "time_multiplier": terms.time_multiplier,
                "extra_minutes": terms.extra_minutes,
                "reason": terms.reason[:300],
                "granted_by": granted_by,
                "granted_at": now,
            },
        )
        _follow_terms(offering, learner_id)
    usernames = sorted(User.objects.filter(pk__in=learner_ids).values_list("username", flat=True))
    class_event_log(
        klass=offering.klass,
        actor=granted_by,
        action=ClassEvent.Action.EXTENSION,
        detail={
            "content": offering.slug,
            "learners": usernames,
            "due_at": terms.due_at.isoformat() if terms.due_at else None,
            "closes_at": terms.closes_at.isoformat() if terms.closes_at else None,
            "extra_attempts": terms.extra_attempts,
            "time_multiplier": terms.time_multiplier,
            "extra_minutes": terms.extra_minutes,
            "reason": terms.reason[:300],
        },
    )
    return len(learner_ids)


@transaction.atomic
def extension_revoke(*, extension: Extension, actor: User | None) -> None:
    offering, learner_id = extension.offering, extension.learner_id
    class_writable(offering.klass)
    username = extension.learner.username
    extension.delete()
    _follow_terms(offering, learner_id)
    class_event_log(
        klass=offering.klass,
        actor=actor,
        action=ClassEvent.Action.EXTENSION_REVOKED,
        detail={"content": offering.slug, "learners": [username]},
    )


def membership_add(*, klass: Class, user: User, role: str = Role.LEARNER, actor: User | None = None) -> Membership:
    """Put the user in the class with the role (a learner already there keeps their work;
    a role given again changes it)."""
    membership, created = Membership.objects.get_or_create(klass=klass, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        class_event_log(
            klass=klass, actor=actor, action=ClassEvent.Action.ROLE, detail={"user": user.username, "role": role}
        )
    elif created:
        class_event_log(
            klass=klass, actor=actor, action=ClassEvent.Action.ENROLLED, detail={"users": [user.username], "role": role}
        )
    forget_roles(user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User | None) -> None:
    """Take someone out of the class; their work stays (and comes back if they return)."""
    klass = membership.klass
    class_writable(klass)
    _keep_a_teacher(membership)
    username = membership.user.username
    membership.delete()
    forget_roles(membership.user)
    class_event_log(klass=klass, actor=actor, action=ClassEvent.Action.REMOVED, detail={"user": username})


def _keep_a_teacher(membership: Membership) -> None:
    """Refuse to take the class's last teacher away (removed, or given another role)."""
    if membership.role != Role.TEACHER:
        return
    # Locked, so two teachers removing each other at once cannot both succeed.
    teachers = list(
        Membership.objects.select_for_update()
        .filter(klass=membership.klass, role=Role.TEACHER)
        .values_list("pk", flat=True)
    )
    if teachers == [membership.pk]:
        raise ClassError(_("A class keeps at least one teacher."))


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, actor: User | None) -> Membership:
    """Give a member another role in the class (never leaving it without a teacher)."""
    if role not in Role.values:
        raise ClassError(_("Choose a role."))
    class_writable(membership.klass)
    if role != membership.role:
        _keep_a_teacher(membership)
    return membership_add(klass=membership.klass, user=membership.user, role=role, actor=actor)


def member_add(*, klass: Class, login: str, role: str, actor: User | None) -> Membership:
    """Add an existing account, named by its user name or its e-mail, to the class."""
    class_writable(klass)
    if role not in Role.values:
        raise ClassError(_("Choose a role."))
    found = user_by_login(login=login)
    if found.user is None:
        raise ClassError(found.problem)
    existing = Membership.objects.filter(klass=klass, user=found.user).first()
    if existing is not None and existing.role == role:
        raise ClassError(
            _("%(user)s is already in this class as %(role)s.")
            % {"user": found.user.username, "role": existing.get_role_display()}
        )
    if existing is not None:
        return membership_role_change(membership=existing, role=role, actor=actor)
    return membership_add(klass=klass, user=found.user, role=role, actor=actor)


def class_join(*, code: str, user: User) -> Class:
    """A learner joins with the class's code (case and spaces do not matter)."""
    normalized = "".join(code.split()).upper()
    klass = Class.objects.filter(join_code=normalized).first() if normalized else None
    if klass is None:
        raise ClassError(_("No class has this code. Check it with your teacher."))
    if klass.is_archived or not klass.join_open:
        raise ClassError(_("This class is not taking new learners. Ask your teacher."))
    if not Membership.objects.filter(klass=klass, user=user).exists():
        membership_add(klass=klass, user=user, role=Role.LEARNER, actor=user)
    return klass


def class_new_code(*, klass: Class, actor: User | None) -> str:
    """A new join code: the old code and its link stop working (for a code that leaked)."""
    class_writable(klass)
    klass.join_code = new_join_code()
    klass.save(update_fields=["join_code"])
    class_event_log(klass=klass, actor=actor, action=ClassEvent.Action.SETTINGS, detail={"fields": ["join_code"]})
    return klass.join_code


def class_archive(*, klass: Class, actor: User | None, archived: bool = True) -> None:
    """Archive the class (its work stays, read-only) or restore it."""
    if klass.is_archived == archived:
        return
    klass.archived_at = timezone.now() if archived else None
    klass.save(update_fields=["archived_at"])
    action = ClassEvent.Action.ARCHIVED if archived else ClassEvent.Action.UNARCHIVED
    class_event_log(klass=klass, actor=actor, action=action)


DEMO_CLASS_NAME = "Turma de demonstração"
DEMO_CLASS_TERM = "demo"


@transaction.atomic
def demo_class_ensure(*, people: dict[str, User]) -> Class:
    """The demo class of `make run`: every published quiz and active lab offered in it, and the
    demo people (created just now) in it with their roles."""
    klass = Class.objects.filter(name=DEMO_CLASS_NAME, term=DEMO_CLASS_TERM).first()
    if klass is None:
        klass = Class.objects.create(name=DEMO_CLASS_NAME, term=DEMO_CLASS_TERM)
        class_event_log(klass=klass, actor=None, action=ClassEvent.Action.CREATED, detail={"demo": True})
    for quiz in Quiz.objects.filter(is_published=True):
        offering_add(klass=klass, quiz=quiz)
    for lab in Lab.objects.filter(is_active=True):
        offering_add(klass=klass, lab=lab)
    for role, user in people.items():
        membership_add(klass=klass, user=user, role=role)
    return klass
