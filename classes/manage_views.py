"""A class's own management pages, for its teachers: settings, content, people (which its
assistants may read), roster import, extensions and the class log. Each binds a form, calls a
service and renders or redirects; every page works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.mail import mail_configured
from core.query import int_param
from core.roles import is_instructor
from core.uploads import give_refusal_page

from . import selectors
from .decorators import class_required
from .events import event_rows
from .forms import (
    ClassForm,
    ClassSettingsForm,
    ExtensionForm,
    MemberAddForm,
    MemberRoleForm,
    OfferingAddForm,
    RosterForm,
    offering_form_class,
)
from .models import Class, Extension, Membership, Offering, Role
from .permissions import Action, can, can_unarchive
from .roster import MAX_BYTES, MAX_ROWS
from .roster_import import (
    RosterRejected,
    link_valid_days,
    may_get_password_link,
    roster_import,
    set_password_path,
)
from .services import (
    ClassError,
    ExtensionTerms,
    class_archive,
    class_create,
    class_new_code,
    class_settings_save,
    extension_revoke,
    extensions_grant,
    member_add,
    membership_remove,
    membership_role_change,
    offering_add,
    offering_settings_save,
)

EVENTS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def class_create_view(request):
    if not is_instructor(request.user):
        raise PermissionDenied
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        klass = class_create(
            name=form.cleaned_data["name"],
            term=form.cleaned_data["term"],
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            creator=request.user,
        )
        messages.success(request, _("Class created. Add its content and its people next."))
        return redirect("classes:detail", class_id=klass.pk)
    return render(request, "classes/create.html", {"form": form}, status=400 if form.is_bound else 200)


@class_required(Action.MANAGE)
@require_http_methods(["GET", "POST"])
def class_settings(request, klass: Class):
    # A copy: what a refused form sets on its instance must not rename the page's own class.
    form = ClassSettingsForm(request.POST or None, instance=Class.objects.get(pk=klass.pk))
    if request.method == "POST" and form.is_valid():
        class_settings_save(klass=form.instance, actor=request.user, changed=form.changed_data)
        messages.success(request, _("Class settings saved."))
        return redirect("classes:settings", class_id=klass.pk)
    join_path = reverse("classes:join-code", kwargs={"code": klass.join_code})
    context = {"klass": klass, "form": form, "join_link": request.build_absolute_uri(join_path)}
    return render(request, "classes/settings.html", context, status=400 if form.is_bound else 200)


@class_required(Action.MANAGE)
@require_POST
def class_new_code_view(request, klass: Class):
    code = class_new_code(klass=klass, actor=request.user)
    messages.success(request, _("New join code: %(code)s. The old code and its link no longer work.") % {"code": code})
    return redirect("classes:settings", class_id=klass.pk)


@class_required(Action.VIEW)
@require_POST
def class_archive_view(request, klass: Class):
    # Archiving twice (a second click, the back button) is not refused: the class is archived.
    if not (can(request.user, klass, Action.MANAGE) or (klass.is_archived and can_unarchive(request.user, klass))):
        raise PermissionDenied
    class_archive(klass=klass, actor=request.user, archived=True)
    messages.success(request, _("Class archived: its grades can be read, nothing can be changed."))
    return redirect("classes:detail", class_id=klass.pk)


@class_required(Action.VIEW)
@require_POST
def class_unarchive_view(request, klass: Class):
    if not can_unarchive(request.user, klass):
        raise PermissionDenied
    class_archive(klass=klass, actor=request.user, archived=False)
    messages.success(request, _("Class restored: it can be changed again."))
    return redirect("classes:detail", class_id=klass.pk)


@class_required(Action.MANAGE)
@require_GET
def class_content(request, klass: Class):
    return _content_page(request, klass, OfferingAddForm(choices=selectors.content_not_offered(klass=klass)))


def _content_page(request, klass: Class, add_form: OfferingAddForm, status: int = 200):
    context = {"klass": klass, "offerings": selectors.class_offerings(klass=klass), "add_form": add_form}
    return render(request, "classes/content.html", context, status=status)


@class_required(Action.MANAGE)
@require_POST
def offering_add_view(request, klass: Class):
    form = OfferingAddForm(request.POST, choices=selectors.content_not_offered(klass=klass))
    if not form.is_valid():
        return _content_page(request, klass, form, status=400)
    choice = form.cleaned_data["content"]
    offering = offering_add(klass=klass, quiz=choice.quiz, lab=choice.lab, actor=request.user)
    messages.success(request, _("%(title)s added to the class. Set its dates below.") % {"title": offering.title})
    return redirect("classes:offering", class_id=klass.pk, offering_id=offering.pk)


@class_required(Action.MANAGE)
@require_http_methods(["GET", "POST"])
def offering_edit(request, klass: Class, offering_id: int):
    offering = get_object_or_404(Offering.objects.select_related("quiz", "lab"), pk=offering_id, klass_id=klass.pk)
    form = offering_form_class(offering)(request.POST or None, instance=offering)
    if request.method == "POST" and form.is_valid():
        offering_settings_save(offering=form.instance, actor=request.user, changed=form.changed_data)
        messages.success(request, _("Settings of %(title)s saved.") % {"title": offering.title})
        return redirect("classes:content", class_id=klass.pk)
    context = {"klass": klass, "offering": offering, "form": form}
    return render(request, "classes/offering_edit.html", context, status=400 if form.is_bound else 200)


@class_required(Action.SEE_WORK)
@require_GET
def class_people(request, klass: Class):
    return _people_page(request, klass, MemberAddForm(auto_id="member-%s"))


def _people_page(request, klass: Class, add_form: MemberAddForm, status: int = 200, password_link=None):
    may_manage = can(request.user, klass, Action.MANAGE)
    people = selectors.class_people(klass=klass)
    rows = [
        {
            "membership": m,
            "role_form": MemberRoleForm(initial={"role": m.role}, auto_id=f"role-{m.pk}-%s"),
            "may_get_link": may_manage and m.role == Role.LEARNER and may_get_password_link(m.user),
        }
        for m in people
    ]
    counts = {role: sum(1 for m in people if m.role == role) for role in Role.values}
    context = {
        "klass": klass,
        "rows": rows,
        "counts": counts,
        "may_manage": may_manage,
        "add_form": add_form,
        "password_link": password_link,
        "link_days": link_valid_days(),
    }
    return render(request, "classes/people.html", context, status=status)


@class_required(Action.MANAGE)
@require_POST
def member_add_view(request, klass: Class):
    form = MemberAddForm(request.POST, auto_id="member-%s")
    if form.is_valid():
        try:
            membership = member_add(
                klass=klass, login=form.cleaned_data["login"], role=form.cleaned_data["role"], actor=request.user
            )
        except ClassError as exc:
            form.add_error("login", str(exc))
        else:
            messages.success(
                request,
                _("%(user)s is in the class as %(role)s.")
                % {"user": membership.user.username, "role": membership.get_role_display()},
            )
            return redirect("classes:people", class_id=klass.pk)
    return _people_page(request, klass, form, status=400)


def _membership(klass: Class, membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "klass"), pk=membership_id, klass_id=klass.pk)


@class_required(Action.MANAGE)
@require_POST
def member_role_view(request, klass: Class, membership_id: int):
    membership = _membership(klass, membership_id)
    form = MemberRoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ClassError(_("Choose a role."))
        membership = membership_role_change(membership=membership, role=form.cleaned_data["role"], actor=request.user)
    except ClassError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.") % {"user": membership.user.username, "role": membership.get_role_display()},
        )
    return redirect("classes:people", class_id=klass.pk)


@class_required(Action.MANAGE)
@require_POST
def member_remove_view(request, klass: Class, membership_id: int):
    membership = Membership.objects.select_related("user", "klass").filter(pk=membership_id, klass_id=klass.pk).first()
    if membership is None:  # removed already (a second click), or never of this class
        messages.info(request, _("This person is no longer in the class."))
        return redirect("classes:people", class_id=klass.pk)
    try:
        membership_remove(membership=membership, actor=request.user)
    except ClassError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(user)s is no longer in the class; their work is kept.") % {"user": membership.user.username}
        )
    if membership.user_id == request.user.pk and not can(request.user, klass, Action.VIEW):
        return redirect("classes:list")
    return redirect("classes:people", class_id=klass.pk)


@class_required(Action.MANAGE)
@require_POST
def member_password_link_view(request, klass: Class, membership_id: int):
    """A fresh set-password link for a learner whose account nobody has used yet (a link that
    expired, an e-mail that never arrived)."""
    membership = _membership(klass, membership_id)
    if membership.role != Role.LEARNER or not may_get_password_link(membership.user):
        # Never a way into an account someone uses: its owner resets their own password.
        messages.error(
            request,
            _("%(user)s already uses this account: only its owner changes its password.")
            % {"user": membership.user.username},
        )
        return redirect("classes:people", class_id=klass.pk)
    link = {"user": membership.user, "url": request.build_absolute_uri(set_password_path(membership.user))}
    return _people_page(request, klass, MemberAddForm(auto_id="member-%s"), password_link=link)


def _roster_page(request, klass: Class, form: RosterForm, status: int = 200, **extra):
    context = {
        "klass": klass,
        "form": form,
        "max_rows": MAX_ROWS,
        "max_mb": MAX_BYTES // (1024 * 1024),
        "mail_configured": mail_configured(),
        "link_days": link_valid_days(),
        **extra,
    }
    return render(request, "classes/roster.html", context, status=status)


@class_required(Action.MANAGE)
@require_http_methods(["GET", "POST"])
def roster_import_view(request, klass: Class):
    if request.method == "GET":
        return _roster_page(request, klass, RosterForm(auto_id="roster-%s"))
    form = RosterForm(request.POST, request.FILES, auto_id="roster-%s")  # reading them parses the upload
    if getattr(request, "upload_refused", None):  # past the site's upload limit, stopped as it arrived
        return _roster_page(request, klass, RosterForm(auto_id="roster-%s"), status=413, upload_refused=_too_large())
    if not form.is_valid():
        return _roster_page(request, klass, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = roster_import(
            klass=klass, data=upload.read(), actor=request.user, base_url=request.build_absolute_uri("/")
        )
    except RosterRejected as rejected:
        return _roster_page(
            request,
            klass,
            RosterForm(auto_id="roster-%s"),
            status=400,
            problems=rejected.problems,
            filename=upload.name,
        )
    except ClassError as exc:
        form.add_error("file", str(exc))
        return _roster_page(request, klass, form, status=400)
    links = [{"user": user, "url": request.build_absolute_uri(set_password_path(user))} for user in result.created]
    return _roster_page(request, klass, RosterForm(auto_id="roster-%s"), result=result, links=links)


def _roster_too_large(request, message: str, status: int, class_id: int):
    klass = get_object_or_404(Class, pk=class_id)
    if not can(request.user, klass, Action.MANAGE):
        raise Http404
    return _roster_page(request, klass, RosterForm(auto_id="roster-%s"), status=status, upload_refused=_too_large())


def _too_large() -> str:
    return _("The file is larger than %(mb)s MB. Split it into smaller files.") % {"mb": MAX_BYTES // (1024 * 1024)}


give_refusal_page(roster_import_view, _roster_too_large)


def _extension_form(klass: Class, data=None) -> ExtensionForm:
    return ExtensionForm(
        data,
        offerings=Offering.objects.filter(klass=klass).select_related("quiz", "lab").order_by("position", "id"),
        learners=selectors.class_learners_queryset(klass=klass),
    )


@class_required(Action.MANAGE)
@require_http_methods(["GET", "POST"])
def class_extensions(request, klass: Class):
    form = _extension_form(klass, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        learners = selectors.class_learners_queryset(klass=klass) if data["everyone"] else data["learners"]
        terms = ExtensionTerms(
            due_at=data["due_at"],
            closes_at=data["closes_at"],
            extra_attempts=data["extra_attempts"],
            time_multiplier=data["time_multiplier"],
            extra_minutes=data["extra_minutes"],
            reason=data["reason"],
        )
        try:
            count = extensions_grant(offering=data["offering"], learners=learners, terms=terms, granted_by=request.user)
        except ClassError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "Extension granted to %(count)s learner in %(title)s.",
                    "Extension granted to %(count)s learners in %(title)s.",
                    count,
                )
                % {"count": count, "title": data["offering"].title},
            )
            return redirect("classes:extensions", class_id=klass.pk)
    context = {"klass": klass, "form": form, "extensions": selectors.class_extensions(klass=klass)}
    return render(request, "classes/extensions.html", context, status=400 if form.is_bound else 200)


@class_required(Action.MANAGE)
@require_POST
def extension_revoke_view(request, klass: Class, extension_id: int):
    extension = (
        Extension.objects.select_related("offering__klass", "offering__quiz", "offering__lab", "learner")
        .filter(pk=extension_id, offering__klass=klass)
        .first()
    )
    if extension is None:  # removed already (a second click), or never of this class
        messages.info(request, _("This extension is no longer in force."))
        return redirect("classes:extensions", class_id=klass.pk)
    extension_revoke(extension=extension, actor=request.user)
    messages.success(
        request,
        _("Extension of %(user)s in %(title)s removed: the class's own terms apply to them again.")
        % {"user": extension.learner.username, "title": extension.offering.title},
    )
    return redirect("classes:extensions", class_id=klass.pk)


@class_required(Action.MANAGE)
@require_GET
def class_log(request, klass: Class):
    paginator = Paginator(selectors.class_events(klass=klass), EVENTS_PER_PAGE)
    page = paginator.get_page(int_param(request.GET.get("page"), default=1, minimum=1))
    context = {"klass": klass, "page": page, "rows": event_rows(page.object_list)}
    return render(request, "classes/log.html", context)
