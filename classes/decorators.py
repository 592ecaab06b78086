from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Class, Offering
from .permissions import Action, can, is_staff_of


def class_permission_denied(user, klass: Class) -> Exception:
    """What refusing a class page raises: 404 for someone outside the class (not even a hint
    that it exists), 403 for a member whose role does not allow it."""
    return PermissionDenied() if can(user, klass, Action.VIEW) else Http404()


def class_required(action: Action):
    """The view takes the class named by the URL's `class_id` as its second argument, and runs
    only for users who may do `action` in it."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, class_id: int, *args, **kwargs):
            klass = Class.objects.filter(pk=class_id).first()
            if klass is None:
                raise Http404
            if not can(request.user, klass, action):
                raise class_permission_denied(request.user, klass)
            request.klass = klass
            return view(request, klass, *args, **kwargs)

        return wrapper

    return decorator


def offering_for_viewer(*, class_id: int, user, **content) -> Offering:
    """The offering of class `class_id` that `content` names (`quiz__slug=...`,
    `lab__slug=...`), for a member of that class; 404 for anyone else, and for learners while
    the class hides it or its content is withdrawn."""
    offering = Offering.objects.filter(klass_id=class_id, **content).select_related("quiz", "lab", "klass").first()
    if offering is None or not can(user, offering.klass, Action.VIEW):
        raise Http404
    if not offering.is_available and not is_staff_of(user, offering.klass):
        raise Http404
    return offering
