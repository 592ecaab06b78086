"""The roster sync a teacher asks for from the class's people page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classes.decorators import class_required
from classes.models import Class
from classes.permissions import Action

from .models import CourseClass
from .roster import roster_sync_request


@class_required(Action.MANAGE)
@require_POST
def roster_sync_view(request, klass: Class):
    course = CourseClass.objects.filter(klass=klass).exclude(context__memberships_url="").first()
    if course is None:
        raise Http404
    roster_sync_request(course=course)
    messages.success(request, _("Roster sync requested: the class's people follow the LMS's list in a moment."))
    return redirect("classes:people", class_id=klass.pk)
