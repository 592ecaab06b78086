"""Who is an instructor: staff users in the "Instructors" group (superusers too)."""

from django.contrib.auth.models import AnonymousUser, Group, User

INSTRUCTORS_GROUP = "Instructors"


def is_instructor(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=INSTRUCTORS_GROUP).exists()


def instructors_group() -> Group:
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    return group


def is_site_admin(user: User | AnonymousUser) -> bool:
    """The site's administrators (superusers): what is set up once for the whole site, such as
    the LMSs that launch Estaleiro, is theirs alone."""
    return bool(user.is_authenticated and user.is_superuser)
