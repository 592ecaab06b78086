from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .roles import is_instructor, is_site_admin


def instructor_required(view):
    """Logged-in instructors only; everyone else logged in gets 403, not a hint of the page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def site_admin_required(view):
    """Logged-in site administrators (superusers) only; instructors and everyone else get 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_site_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
