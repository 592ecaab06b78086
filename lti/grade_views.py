"""The class's page of grades sent to its LMS: per offering and learner the newest send, and
the instructor's resend."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from classes.decorators import class_required
from classes.models import Class, Membership, Role
from classes.permissions import Action

from .models import LinkedOffering
from .passback import score_resend, scores_resend_failed
from .selectors import class_score_sends, course_of


def _course_or_404(klass: Class):
    course = course_of(klass)
    if course is None:
        raise Http404
    return course


@class_required(Action.EXPORT)
@require_GET
def class_grades(request, klass: Class):
    course = course_of(klass)  # None: not an LMS course (the page says so)
    links = class_score_sends(klass=klass) if course is not None else []
    return render(
        request,
        "lti/class_grades.html",
        {"klass": klass, "course": course, "links": links, "failed": sum(link.failed for link in links)},
    )


@class_required(Action.MANAGE)
@require_POST
def grade_resend(request, klass: Class, link_id: int, learner_id: int):
    _course_or_404(klass)
    link = get_object_or_404(LinkedOffering.objects.select_related("offering"), pk=link_id, offering__klass=klass)
    if not Membership.objects.filter(klass=klass, user_id=learner_id, role=Role.LEARNER).exists():
        raise Http404
    learner = get_object_or_404(get_user_model(), pk=learner_id)
    if score_resend(link=link, learner=learner, actor=request.user) is None:
        messages.warning(
            request,
            _("%(name)s has no final grade in %(title)s to send yet.")
            % {"name": learner.get_full_name() or learner.get_username(), "title": link.offering.title},
        )
    else:
        messages.success(
            request,
            _("The grade of %(name)s in %(title)s is being sent again.")
            % {"name": learner.get_full_name() or learner.get_username(), "title": link.offering.title},
        )
    return redirect("lti:class-grades", class_id=klass.pk)


@class_required(Action.MANAGE)
@require_POST
def grades_resend_failed(request, klass: Class):
    _course_or_404(klass)
    links = LinkedOffering.objects.filter(offering__klass=klass).select_related("offering")
    count = scores_resend_failed(links=links, actor=request.user)
    messages.success(request, _("%(count)d grade(s) are being sent again.") % {"count": count})
    return redirect("lti:class-grades", class_id=klass.pk)
