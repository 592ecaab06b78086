"""Reads for classes: whose classes, what each offers a user, a class's people."""

from dataclasses import dataclass

from django.contrib.auth.models import User

from labs.selectors import LabProgress, labs_progress
from quizzes.selectors import QuizProgress, quizzes_progress

from .models import Class, Membership, Role
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
    return list(User.objects.filter(memberships__klass=klass, memberships__role=Role.LEARNER).order_by("username"))
