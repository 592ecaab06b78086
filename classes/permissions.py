"""Who may do what in a class: one function of (user, class, action), tested as a matrix
(tests/test_authorization_matrix.py). Roles are per class; the site administrator
(superuser) may do everything a teacher may in every class, and staff in the Instructors
group may create classes (core.roles.is_instructor)."""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User

from .models import Class, Membership, Role


class Action(StrEnum):
    VIEW = "view"  # see the class and the content it offers
    TAKE = "take"  # answer its quizzes, submit to its labs
    SEE_WORK = "see_work"  # every learner's attempts and submissions, statistics
    REVIEW = "review"  # grade essays
    REGRADE = "regrade"  # grade submissions again
    RELEASE = "release"  # release essay grades to learners
    EXPORT = "export"  # the class's gradebook
    MANAGE = "manage"  # class and content settings, people, extensions, archiving


# Only learners answer and submit: a teacher's or an administrator's attempt would count in
# the class's statistics and gradebook as if a learner had made it.
STAFF_ACTIONS = frozenset(Action) - {Action.TAKE}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.TEACHER: STAFF_ACTIONS,
    Role.ASSISTANT: frozenset({Action.VIEW, Action.SEE_WORK, Action.REVIEW, Action.REGRADE}),
    Role.LEARNER: frozenset({Action.VIEW, Action.TAKE}),
}

# An archived class keeps its grades, read-only: nothing that writes is allowed in it but
# restoring it (services.class_unarchive, a MANAGE of its own).
READ_ONLY_ACTIONS = frozenset({Action.VIEW, Action.SEE_WORK, Action.EXPORT})


def role_of(user: User | AnonymousUser, klass: Class | int) -> str | None:
    """The user's role in the class, or None; remembered on the user object for the request."""
    if not user.is_authenticated:
        return None
    class_id = klass if isinstance(klass, int) else klass.pk
    roles: dict[int, str | None] = user.__dict__.setdefault("_class_roles", {})
    if class_id not in roles:
        roles[class_id] = (
            Membership.objects.filter(klass_id=class_id, user_id=user.pk)
            .order_by()  # one row by its unique key: the model's ordering would join two tables to sort it
            .values_list("role", flat=True)
            .first()
        )
    return roles[class_id]


def forget_roles(user: User) -> None:
    user.__dict__.pop("_class_roles", None)


def actions_for(user: User | AnonymousUser, klass: Class) -> frozenset[Action]:
    if not user.is_authenticated:
        return frozenset()
    role = role_of(user, klass)
    allowed = ROLE_ACTIONS.get(role, frozenset()) if role else frozenset()
    if user.is_superuser:
        allowed = allowed | STAFF_ACTIONS
    if klass.is_archived:
        allowed = allowed & READ_ONLY_ACTIONS
    return allowed


def can(user: User | AnonymousUser, klass: Class, action: Action) -> bool:
    return action in actions_for(user, klass)


def can_unarchive(user: User | AnonymousUser, klass: Class) -> bool:
    return user.is_authenticated and (user.is_superuser or role_of(user, klass) == Role.TEACHER)


def is_staff_of(user: User | AnonymousUser, klass: Class) -> bool:
    """Teacher or assistant of the class (or the site administrator): sees its learners' work."""
    return can(user, klass, Action.SEE_WORK)
