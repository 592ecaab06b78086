"""The platforms page (site administrators): the LMSs that launch Estaleiro, registered by
hand or by a one-time dynamic registration link, and what to paste on the LMS's side. And
the dynamic registration endpoint the LMS opens with that link."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import Key, LtiRegistration

from core.decorators import site_admin_required

from .forms import PlatformForm
from .models import RegistrationLink
from .registration import (
    LINK_LIFETIME,
    RegistrationRefused,
    canvas_config,
    dynamic_register,
    moodle_fields,
    platform_save,
    platform_switch,
    registration_link_create,
    registration_links_pending,
    tool_url,
    tool_urls,
)


def _tool_configuration(request: HttpRequest, registration: LtiRegistration) -> dict:
    """What the LMS's administrator pastes: Moodle's fields, Canvas's developer key JSON."""
    urls = tool_urls(request, registration)
    return {
        "urls": urls,
        "moodle": moodle_fields(urls),
        "canvas_json": json.dumps(canvas_config(urls), indent=2, ensure_ascii=False),
    }


def _platforms():
    return LtiRegistration.objects.annotate(
        active_deployments=Count("deployments", filter=Q(deployments__is_active=True))
    ).order_by("-is_active", "name", "pk")


@never_cache
@site_admin_required
@require_GET
def platforms(request: HttpRequest) -> HttpResponse:
    links = [
        {"link": link, "url": tool_url(request, reverse("lti:register", kwargs={"token": link.token}))}
        for link in registration_links_pending().select_related("created_by")
    ]
    return render(
        request,
        "lti/platforms.html",
        {
            "platforms": _platforms(),
            "links": links,
            "link_hours": int(LINK_LIFETIME.total_seconds() // 3600),
            "keys_active": Key.objects.active().count(),
            "jwks_url": tool_url(request, reverse("lti:jwks")),
        },
    )


@never_cache
@site_admin_required
@require_http_methods(["GET", "POST"])
def platform_add(request: HttpRequest) -> HttpResponse:
    form = PlatformForm(request.POST or None, initial={"is_active": True, "uuid": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        registration = platform_save(
            registration=form.save(commit=False), deployment_ids=form.cleaned_data["deployment_ids"]
        )
        messages.success(
            request,
            _("Platform %(name)s registered. Now paste Estaleiro's configuration into the LMS.")
            % {"name": registration.name},
        )
        return redirect("lti:platform", registration_uuid=registration.uuid)
    try:
        planned = uuid.UUID(str(form["uuid"].value()))
    except ValueError:
        planned = uuid.uuid4()
    return render(
        request,
        "lti/platform_form.html",
        {"form": form, "registration": None, **_tool_configuration(request, LtiRegistration(uuid=planned))},
    )


@never_cache
@site_admin_required
@require_http_methods(["GET", "POST"])
def platform_edit(request: HttpRequest, registration_uuid) -> HttpResponse:
    registration = get_object_or_404(LtiRegistration, uuid=registration_uuid)
    form = PlatformForm(request.POST or None, instance=registration)
    if request.method == "POST" and form.is_valid():
        platform_save(registration=form.save(commit=False), deployment_ids=form.cleaned_data["deployment_ids"])
        messages.success(request, _("Platform %(name)s saved.") % {"name": registration.name})
        return redirect("lti:platform", registration_uuid=registration.uuid)
    return render(request, "lti/platform_form.html", {"form": form, "registration": registration})


@never_cache
@site_admin_required
@require_GET
def platform(request: HttpRequest, registration_uuid) -> HttpResponse:
    registration = get_object_or_404(LtiRegistration, uuid=registration_uuid)
    return render(
        request,
        "lti/platform.html",
        {
            "registration": registration,
            "deployments": registration.deployments.order_by("-is_active", "pk"),
            "canvas_url": tool_url(
                request, reverse("lti:canvas-json", kwargs={"registration_uuid": registration.uuid})
            ),
            **_tool_configuration(request, registration),
        },
    )


@site_admin_required
@require_POST
def platform_active(request: HttpRequest, registration_uuid) -> HttpResponse:
    registration = get_object_or_404(LtiRegistration, uuid=registration_uuid)
    active = request.POST.get("active") == "1"
    platform_switch(registration=registration, active=active)
    if active:
        messages.success(request, _("Platform %(name)s switched on.") % {"name": registration.name})
    else:
        messages.success(
            request,
            _("Platform %(name)s switched off: its launches are refused until it is switched on again.")
            % {"name": registration.name},
        )
    return redirect("lti:platforms")


@never_cache
@require_GET
def canvas_json(request: HttpRequest, registration_uuid) -> JsonResponse:
    """Canvas's developer key configuration. Not behind a login: Canvas's "Enter URL" fetches
    it from its own server. It holds only Estaleiro's public addresses, which every launch
    shows anyway; the platform's random uuid is the address."""
    registration = get_object_or_404(LtiRegistration, uuid=registration_uuid)
    return JsonResponse(canvas_config(tool_urls(request, registration)), json_dumps_params={"indent": 2})


@site_admin_required
@require_POST
def registration_link_new(request: HttpRequest) -> HttpResponse:
    registration_link_create(actor=request.user)
    messages.success(
        request, _("Registration link created. Paste it into the LMS's dynamic registration; it works once.")
    )
    return redirect(reverse("lti:platforms") + "#registration-links")


@site_admin_required
@require_POST
def registration_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    deleted, _rows = RegistrationLink.objects.filter(pk=link_id, used_at__isnull=True).delete()
    if deleted:
        messages.success(request, _("Registration link revoked."))
    return redirect(reverse("lti:platforms") + "#registration-links")


@xframe_options_exempt
@never_cache
@require_GET
def register(request: HttpRequest, token: str) -> HttpResponse:
    """LTI Dynamic Registration: the LMS opens this (in a frame of its administration page)
    with the address of its OpenID configuration and a registration token. The one-time link
    is the authorization: the LMS's administrator is not logged in to Estaleiro."""
    try:
        registration = dynamic_register(
            request=request,
            token=token,
            openid_configuration=request.GET.get("openid_configuration", "").strip(),
            registration_token=request.GET.get("registration_token", "").strip(),
        )
    except RegistrationRefused as exc:
        return render(
            request,
            "lti/refused.html",
            {
                "heading": _("Registration refused"),
                "outcome": _("Nothing was registered in Estaleiro."),
                "message": str(exc),
                "detail": exc.detail,
            },
            status=exc.status,
        )
    return render(
        request,
        "lti/registered.html",
        {"registration": registration, "deployments": registration.deployments.filter(is_active=True)},
    )
