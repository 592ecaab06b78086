"""The LTI 1.3 endpoints: OIDC login initiation, launch, deep linking and the tool's JWKS."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lti_tool.models import Key, LtiLaunch, LtiRegistration
from pylti1p3.contrib.django import DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem

from classes.decorators import class_required
from classes.models import Class, Role
from classes.permissions import Action, can
from classes.services import offering_add

from . import errors
from .launch import MessageLaunch, ToolConfig, data_storage
from .registration import tool_url
from .roles import class_role
from .services import (
    ITEM_PARAM,
    LaunchRefused,
    deep_link_choices,
    item_parse,
    launch_accept,
    offering_url,
    score_maximum,
    tool_key_ensure,
)
from .sessions import CROSS_SITE_SAMESITE, _cross_site_cookies_possible, lti_session_start

logger = logging.getLogger(__name__)

DEEP_LINK_SESSION_KEY = "lti_deep_link"


class OIDCLogin(DjangoOIDCLogin):
    """PyLTI1p3's cookie check page writes its test cookie `SameSite=None; Secure` only over
    HTTPS, and never `Partitioned`. The middleware (sessions.py) gives the real cookies all
    three (over HTTPS, and over plain HTTP on loopback), so the check must ask for the same:
    a test cookie the browser refuses inside the LMS's frame, where the real ones are kept,
    would send every framed launch to "open in a new window"."""

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self._cross_site = _cross_site_cookies_possible(request)

    def get_cookies_allowed_js_check(self) -> str:
        if not self._cross_site:
            return super().get_cookies_allowed_js_check()
        wrapped = self._request  # PyLTI1p3's request: its is_secure() picks the test cookie's flags
        wrapped.is_secure = lambda: True
        try:
            page = super().get_cookies_allowed_js_check()
        finally:
            del wrapped.is_secure
        return page.replace("'; SameSite=None; secure'", f"'; SameSite={CROSS_SITE_SAMESITE}; Secure'")


def refuse(request: HttpRequest, message: str, *, status: int = 403, detail: str = "") -> HttpResponse:
    """A clear page for a launch refused: what happened and what to do; nothing was created."""
    context = {
        "heading": _("LMS launch refused"),
        "outcome": _("Nothing was created or changed in Estaleiro."),
        "message": message,
        "detail": detail,
    }
    response = render(request, "lti/refused.html", context, status=status)
    response.xframe_options_exempt = True
    return response


@never_cache
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys, which platforms use to check what Estaleiro signs."""
    tool_key_ensure()
    return JsonResponse(Key.objects.as_jwks())


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest, registration_uuid) -> HttpResponse:
    """OIDC third-party login initiation: check the platform and send the browser to its
    authorization endpoint with a fresh state and nonce. When the browser blocks cookies in
    the LMS's frame, a page offers to go on in a new window."""
    params = request.POST if request.method == "POST" else request.GET
    target = params.get("target_link_uri")
    if not target:
        return refuse(request, _("The LMS did not say what to open (target_link_uri is missing)."), status=400)
    if urlsplit(target).netloc not in {request.get_host(), urlsplit(tool_url(request, "/")).netloc}:
        # The platform sends the browser back to this address: it must be Estaleiro's own.
        return refuse(request, _("The LMS asked to open an address outside Estaleiro."), status=400, detail=target)
    if not LtiRegistration.objects.active().filter(uuid=registration_uuid).exists():
        return refuse(request, str(errors.UNKNOWN_PLATFORM), status=404)
    tool_key_ensure()
    try:
        oidc = OIDCLogin(request, ToolConfig(registration_uuid), launch_data_storage=data_storage())
        return oidc.enable_check_cookies(
            _("Your browser blocks cookies inside the LMS page, so Estaleiro must open in a window of its own."),
            _("Open Estaleiro in a new window"),
            _("Loading…"),
        ).redirect(target)
    except LtiException as exc:
        logger.info("LTI login refused: %s", exc)
        return refuse(request, errors.explain(exc), status=400, detail=str(exc))


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_http_methods(["POST"])
def launch(request: HttpRequest) -> HttpResponse:
    """The platform posts the id_token here (resource link and deep linking launches)."""
    try:
        message_launch = MessageLaunch(request)
        message_launch.validate()
    except LtiException as exc:
        logger.info("LTI launch refused: %s", exc)
        # A request that is not a launch at all is a bad request; one that fails a check, forbidden.
        status = 400 if errors.is_malformed(exc) else 403
        return refuse(request, errors.explain(exc), status=status, detail=str(exc))
    lti_launch = LtiLaunch(message_launch)
    if not (lti_launch.is_resource_launch or lti_launch.is_deep_link_launch):
        return refuse(request, _("Estaleiro does not handle this kind of LTI message."), status=400)
    if lti_launch.is_deep_link_launch and class_role(lti_launch.roles_claim or []) != Role.TEACHER:
        # Refused before anything is recorded: a learner's account or membership must not
        # appear from a launch that leads nowhere.
        return refuse(request, _("Only the course's teachers add Estaleiro activities."))
    try:
        arrival = launch_accept(lti_launch)
    except LaunchRefused as exc:
        return refuse(request, str(exc))
    login(request, arrival.user, backend="django.contrib.auth.backends.ModelBackend")
    lti_session_start(
        request,
        registration=lti_launch.registration,
        launch_id=lti_launch.get_launch_id(),
        claims=lti_launch.get_launch_data(),
    )
    if lti_launch.is_deep_link_launch:
        if arrival.role != Role.TEACHER:
            return refuse(request, _("Only the course's teachers add Estaleiro activities."))
        request.session[DEEP_LINK_SESSION_KEY] = {"launch_id": lti_launch.get_launch_id(), "class_id": arrival.klass.pk}
        return redirect("lti:deep-link")
    if arrival.offering is None:
        if arrival.role == Role.TEACHER:
            return redirect("lti:deep-link-missing", class_id=arrival.klass.pk)
        return refuse(request, _("This LMS activity is not linked to a quiz or lab yet. Ask your teacher."), status=404)
    return redirect(offering_url(arrival.offering))


@require_http_methods(["GET"])
@class_required(Action.MANAGE)
def unlinked(request: HttpRequest, klass: Class) -> HttpResponse:
    """A teacher opened an LMS link that names no quiz or lab (added by hand, not picked)."""
    return render(request, "lti/unlinked.html", {"klass": klass})


@never_cache
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """The teacher, sent from the LMS's "add activity", picks the quiz or a lab; the LMS
    gets one LTI resource link with a line item for its grades."""
    pending = request.session.get(DEEP_LINK_SESSION_KEY) or {}
    klass = Class.objects.filter(pk=int(pending.get("class_id") or 0)).first()
    if klass is None or not request.user.is_authenticated or not can(request.user, klass, Action.MANAGE):
        return refuse(request, _('Start from the LMS: use its "add activity" with Estaleiro.'), status=403)
    choices = deep_link_choices(klass)
    error = ""
    if request.method == "POST":
        quiz, lab = item_parse(request.POST.get("item"))
        if quiz is None and lab is None:
            error = _("Choose the quiz or a lab.")
        else:
            try:
                message_launch = MessageLaunch.from_cache(
                    pending["launch_id"], request, ToolConfig(), launch_data_storage=data_storage()
                )
                offering = offering_add(klass=klass, quiz=quiz, lab=lab, actor=request.user)
                title = (quiz or lab).title  # type: ignore[union-attr]
                line_item = (
                    LineItem()
                    .set_label(title)
                    .set_score_maximum(score_maximum(quiz=quiz, lab=lab))
                    .set_resource_id(f"estaleiro-offering-{offering.pk}")
                    .set_tag("estaleiro")
                )
                resource = (
                    DeepLinkResource()
                    .set_url(tool_url(request, reverse("lti:launch")))
                    .set_title(title)
                    .set_custom_params({ITEM_PARAM: request.POST["item"]})
                    .set_lineitem(line_item)
                )
                html = message_launch.get_deep_link().output_response_form([resource])
            except LtiException as exc:
                return refuse(request, errors.explain(exc), status=400, detail=str(exc))
            del request.session[DEEP_LINK_SESSION_KEY]
            return HttpResponse(html)
    return render(request, "lti/deep_link.html", {"klass": klass, "choices": choices, "error": error})
