"""Reads for classes: whose classes, what each offers a user, a class's people."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from labs.models import Lab
from labs.selectors import LabProgress, labs_progress
from quizzes.models import Quiz
from quizzes.selectors import QuizProgress, quizzes_progress

from .models import Class, ClassEvent, Extension, Membership, Offering, Role
from .permissions import Action, actions_for, role_of


@dataclass
class ClassWork:
    klass: Class
    role: str | None
    quizzes: list[QuizProgress]
    labs: list[LabProgress]
    actions: frozenset[Action]
    role_label: str = ""

    @property
    def is_staff(self) -> bool:
        return Action.SEE_WORK in self.actions


def user_memberships(*, user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("klass").order_by("klass__archived_at", "klass__name")
    )


def taught_classes(*, user) -> list[Class]:
    """The classes a user teaches or assists in; every class for the site administrator."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Class.objects.all())
    return list(Class.objects.filter(memberships__user=user, memberships__role__in=[Role.TEACHER, Role.ASSISTANT]))


def class_work(*, klass: Class, user) -> ClassWork:
    return ClassWork(
        klass=klass,
        role=role_of(user, klass),
        quizzes=quizzes_progress(klass=klass, user=user),
        labs=labs_progress(klass=klass, user=user),
        actions=actions_for(user, klass),
    )


def class_people(*, klass: Class) -> list[Membership]:
    return list(klass.memberships.select_related("user").order_by("role", "user__username"))


def class_learners(*, klass: Class) -> list[User]:
    return list(class_learners_queryset(klass=klass))


def class_learners_queryset(*, klass: Class) -> QuerySet[User]:
    return User.objects.filter(memberships__klass=klass, memberships__role=Role.LEARNER).order_by(
        "first_name", "username"
    )


def class_offerings(*, klass: Class) -> list[Offering]:
    return list(klass.offerings.select_related("quiz", "lab").order_by("position", "id"))


@dataclass(frozen=True)
class ContentChoice:
    value: str  # "quiz:<pk>" or "lab:<pk>"
    label: str
    quiz: Quiz | None = None
    lab: Lab | None = None


def content_not_offered(*, klass: Class) -> list[ContentChoice]:
    """The quizzes and labs a class may still add: every quiz (an unpublished one says so) and
    every lab in the content, less what it already offers."""
    offered = klass.offerings.values_list("quiz_id", "lab_id")
    quiz_ids = {q for q, _lab in offered if q}
    lab_ids = {lab for _q, lab in offered if lab}
    choices = []
    for quiz in Quiz.objects.exclude(pk__in=quiz_ids).order_by("position", "title"):
        label = _("Quiz: %(title)s") % {"title": quiz.title}
        if not quiz.is_published:
            label += " " + _("(not published)")
        choices.append(ContentChoice(value=f"quiz:{quiz.pk}", label=label, quiz=quiz))
    for lab in Lab.objects.filter(is_active=True).exclude(pk__in=lab_ids).order_by("position", "title"):
        choices.append(ContentChoice(value=f"lab:{lab.pk}", label=_("Lab: %(title)s") % {"title": lab.title}, lab=lab))
    return choices


def class_extensions(*, klass: Class) -> list[Extension]:
    return list(
        Extension.objects.filter(offering__klass=klass)
        .select_related("offering__quiz", "offering__lab", "learner", "granted_by")
        .order_by("offering__position", "offering_id", "learner__username")
    )


def class_events(*, klass: Class) -> QuerySet[ClassEvent]:
    return klass.events.select_related("actor").order_by("-created_at", "-id")


@dataclass(frozen=True)
class FoundUser:
    user: User | None
    problem: str = ""


def user_by_login(*, login: str) -> FoundUser:
    """The account a teacher names by its user name or by its e-mail (when one account alone
    has it)."""
    login = login.strip()
    if not login:
        return FoundUser(None, _("Type a user name or an e-mail."))
    exact = User.objects.filter(username=login).first()
    if exact is not None:
        return FoundUser(exact)
    matches = list(User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))[:2])
    if len(matches) == 1:
        return FoundUser(matches[0])
    if not matches:
        return FoundUser(None, _("No account has the user name or e-mail %(login)s.") % {"login": login})
    return FoundUser(
        None, _("More than one account has the e-mail %(login)s: type the user name instead.") % {"login": login}
    )
