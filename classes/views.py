from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.roles import is_instructor

from . import selectors
from .decorators import class_required
from .forms import ClassForm
from .models import Class
from .permissions import Action, can_unarchive
from .services import ClassError, class_join


@login_required
@require_GET
def class_list(request):
    may_create = is_instructor(request.user)
    return render(
        request,
        "classes/class_list.html",
        {
            "memberships": selectors.user_memberships(user=request.user),
            "taught": selectors.taught_classes(user=request.user),
            "may_create": may_create,
            "create_form": ClassForm() if may_create else None,
        },
    )


@class_required(Action.VIEW)
@require_GET
def class_detail(request, klass: Class):
    work = selectors.class_work(klass=klass, user=request.user)
    context = {"klass": klass, "work": work, "may_unarchive": klass.is_archived and can_unarchive(request.user, klass)}
    return render(request, "classes/class_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def class_join_view(request, code: str = ""):
    """Join a class by its code: typed in a form, or in the link a teacher shares (which asks
    for a click, so following a link alone never enrols anyone)."""
    code = request.POST.get("code", code) if request.method == "POST" else code
    if request.method == "POST":
        try:
            klass = class_join(code=code, user=request.user)
        except ClassError as exc:
            return render(request, "classes/join.html", {"code": code, "error": str(exc)}, status=400)
        messages.success(request, _joined_message(klass))
        return redirect("classes:detail", class_id=klass.pk)
    return render(request, "classes/join.html", {"code": code})


def _joined_message(klass: Class) -> str:
    return _("You are in the class %(name)s.") % {"name": str(klass)}
