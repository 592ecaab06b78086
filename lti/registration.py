"""Registering an LMS (an LTI 1.3 platform): by hand from the platforms page, or by LTI
Dynamic Registration 1.0 through a one-time link; and what the LMS's administrator pastes
on their side (Moodle's "configure a tool manually" fields, Canvas's developer key JSON)."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from lti_tool.models import LtiDeployment, LtiRegistration

from core.net import is_loopback

from .models import RegistrationLink

logger = logging.getLogger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS]
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"

# How long a dynamic registration link works, and how long the LMS has to answer each call.
LINK_LIFETIME = timedelta(hours=24)
PLATFORM_TIMEOUT_SECONDS = 10
# An OpenID configuration or a registration answer is a few kilobytes; more is not one.
ANSWER_MAX_BYTES = 256 * 1024


# --- URLs ---------------------------------------------------------------------------


def url_problem(url: str) -> str:
    """Why a platform's URL is refused ("" when it is fine): https only, but for a platform on
    this machine (a test LMS on 127.0.0.1)."""
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return _("This is not a valid URL.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter a full address starting with https://.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return _("The address must use https:// (plain http:// is only accepted for this machine, e.g. 127.0.0.1).")
    return ""


def tool_url(request: HttpRequest | None, path: str) -> str:
    """The absolute address of one of Estaleiro's pages as an LMS must reach it: under
    LTI_TOOL_URL when it is set (behind a proxy that terminates https), else from the request."""
    base = getattr(settings, "LTI_TOOL_URL", "").rstrip("/")
    if base:
        return base + path
    if request is None:
        raise ValueError("LTI_TOOL_URL is not set and there is no request to take the address from")
    return request.build_absolute_uri(path)


# --- What the LMS is told ----------------------------------------------------------


@dataclass(frozen=True)
class ToolUrls:
    login: str
    launch: str
    jwks: str
    deep_link: str
    domain: str


def tool_urls(request: HttpRequest | None, registration: LtiRegistration | None) -> ToolUrls:
    """Estaleiro's addresses for one platform. Before the platform exists (dynamic
    registration) the login URL is the one of the registration about to be made."""
    login = (
        tool_url(request, reverse("lti:login", kwargs={"registration_uuid": registration.uuid})) if registration else ""
    )
    launch = tool_url(request, reverse("lti:launch"))
    return ToolUrls(
        login=login,
        launch=launch,
        jwks=tool_url(request, reverse("lti:jwks")),
        # Deep linking requests are launches too: they come to the same address.
        deep_link=launch,
        domain=urlsplit(launch).netloc,
    )


def moodle_fields(urls: ToolUrls) -> list[tuple[str, str]]:
    """Moodle 4.x, Site administration › Plugins › External tool › Manage tools ›
    "configure a tool manually": (field as Moodle labels it, value), in its order."""
    return [
        (_("Tool name"), "Estaleiro"),
        (_("Tool URL"), urls.launch),
        (_("LTI version"), "LTI 1.3"),
        (_("Public key type"), _("Keyset URL")),
        (_("Public keyset"), urls.jwks),
        (_("Initiate login URL"), urls.login),
        (_("Redirection URI(s)"), urls.launch),
        (_("Supports Deep Linking (Content-Item Message)"), _("Yes (ticked)")),
        (_("Content Selection URL"), urls.deep_link),
        (
            _("Services › IMS LTI Assignment and Grade Services"),
            _("Use this service for grade sync and column management"),
        ),
        (
            _("Services › IMS LTI Names and Role Provisioning"),
            _("Use this service to retrieve members' information as per privacy settings"),
        ),
        (_("Privacy › Share launcher's name with tool"), _("Always")),
        (_("Privacy › Share launcher's email with tool"), _("Always")),
    ]


def canvas_config(urls: ToolUrls) -> dict:
    """A Canvas developer key (LTI key) in its JSON form: "Paste JSON", or "Enter URL" with
    the address of this document."""
    placement = {
        "text": "Estaleiro",
        "enabled": True,
        "message_type": "LtiDeepLinkingRequest",
        "target_link_uri": urls.launch,
    }
    return {
        "title": "Estaleiro",
        "description": _("Quizzes and hands-on Docker labs with automatic grading."),
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": TOOL_SCOPES,
        "extensions": [
            {
                "domain": urls.domain,
                "tool_id": "estaleiro",
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {
                    "text": "Estaleiro",
                    "placements": [
                        {**placement, "placement": "link_selection"},
                        {**placement, "placement": "assignment_selection"},
                    ],
                },
            }
        ],
        "custom_fields": {},
    }


# --- Registering by hand -------------------------------------------------------------


def deployment_ids_parse(text: str) -> list[str]:
    """One deployment id a line; blank lines dropped, repeats once."""
    seen: list[str] = []
    for line in (text or "").splitlines():
        value = line.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


@transaction.atomic
def platform_save(*, registration: LtiRegistration, deployment_ids: list[str]) -> LtiRegistration:
    """Save the platform and make its deployments exactly those listed, active; a deployment
    no longer listed is switched off (kept: its courses and users stay linked to it)."""
    registration.save()
    for deployment_id in deployment_ids:
        LtiDeployment.objects.update_or_create(
            registration=registration, deployment_id=deployment_id, defaults={"is_active": True}
        )
    registration.deployments.exclude(deployment_id__in=deployment_ids).update(is_active=False)
    return registration


def platform_switch(*, registration: LtiRegistration, active: bool) -> None:
    LtiRegistration.objects.filter(pk=registration.pk).update(is_active=active, datetime_modified=timezone.now())


# --- Dynamic registration ----------------------------------------------------------


def registration_link_create(*, actor) -> RegistrationLink:
    return RegistrationLink.objects.create(
        token=secrets.token_urlsafe(32), created_by=actor, expires_at=timezone.now() + LINK_LIFETIME
    )


def registration_links_pending():
    return RegistrationLink.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class RegistrationRefused(Exception):
    """Dynamic registration stopped, with what the administrator is told; nothing was kept."""

    def __init__(self, message: str, *, detail: str = "", status: int = 400):
        super().__init__(message)
        self.detail = detail
        self.status = status


def registration_link_claim(token: str) -> RegistrationLink:
    """Take the link for this registration, so that no second request uses it meanwhile."""
    now = timezone.now()
    link = RegistrationLink.objects.filter(token=token).first() if token else None
    if link is None:
        raise RegistrationRefused(_("This registration link is not valid. Create a new one in Estaleiro."), status=404)
    if link.used_at is not None:
        raise RegistrationRefused(
            _("This registration link was already used. Create a new one in Estaleiro."), status=410
        )
    if link.expires_at <= now:
        raise RegistrationRefused(_("This registration link has expired. Create a new one in Estaleiro."), status=410)
    claimed = RegistrationLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed:
        raise RegistrationRefused(
            _("This registration link was already used. Create a new one in Estaleiro."), status=410
        )
    link.used_at = now
    return link


def _platform_call(method: str, url: str, **kwargs) -> dict:
    """One call to the LMS: JSON back within the timeout, no redirect followed, the answer's
    size bounded."""
    problem = url_problem(url)
    if problem:
        raise RegistrationRefused(_("The LMS gave an address Estaleiro will not call."), detail=f"{url}: {problem}")
    try:
        with requests.request(
            method, url, timeout=PLATFORM_TIMEOUT_SECONDS, allow_redirects=False, stream=True, **kwargs
        ) as response:
            body = response.raw.read(ANSWER_MAX_BYTES + 1, decode_content=True)
            status = response.status_code
    except requests.RequestException as exc:
        raise RegistrationRefused(
            _("Estaleiro could not reach the LMS. Check that it can be reached from Estaleiro's server and try again."),
            detail=f"{method} {url}: {exc}",
            status=502,
        ) from exc
    if len(body) > ANSWER_MAX_BYTES:
        raise RegistrationRefused(_("The LMS's answer is too large."), detail=f"{method} {url}", status=502)
    text = body.decode("utf-8", errors="replace")
    if not 200 <= status < 300:
        raise RegistrationRefused(
            _("The LMS refused the registration (HTTP %(status)s).") % {"status": status},
            detail=f"{method} {url}: {text[:500]}",
            status=502,
        )
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise RegistrationRefused(
            _("The LMS's answer is not the JSON document it should be."),
            detail=f"{method} {url}: {text[:500]}",
            status=502,
        )
    return answer


def openid_configuration_fetch(url: str) -> dict:
    """The platform's OpenID configuration, checked: its issuer is on the same scheme and host
    as the address it came from, and it has the endpoints a registration needs."""
    config = _platform_call("GET", url, headers={"Accept": "application/json"})
    issuer = config.get("issuer")
    where, said = urlsplit(url), urlsplit(issuer if isinstance(issuer, str) else "")
    if (said.scheme, said.netloc) != (where.scheme, where.netloc):
        raise RegistrationRefused(
            _("The LMS's configuration names an issuer on another address than the one it was fetched from."),
            detail=f"issuer={issuer!r}, openid_configuration={url}",
        )
    missing = [
        key
        for key in ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(config.get(key), str) or url_problem(config[key])
    ]
    if missing:
        raise RegistrationRefused(
            _("The LMS's configuration lacks what a registration needs: %(keys)s.") % {"keys": ", ".join(missing)},
            detail=json.dumps({k: config.get(k) for k in missing}),
        )
    return config


def client_registration_body(*, urls: ToolUrls, login_url: str) -> dict:
    """The tool's client registration (LTI Dynamic Registration 1.0, section 3.3)."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": login_url,
        "redirect_uris": [urls.launch],
        "client_name": "Estaleiro",
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(TOOL_SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urls.domain,
            "target_link_uri": urls.launch,
            "description": _("Quizzes and hands-on Docker labs with automatic grading."),
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": urls.deep_link,
                    "label": "Estaleiro",
                    "placements": ["ContentArea"],
                    "supported_types": ["ltiResourceLink"],
                },
            ],
        },
    }


def platform_name(config: dict) -> str:
    """The product the LMS says it is and its host, e.g. "moodle (lms.escola.br)"."""
    platform = config.get(PLATFORM_CONFIGURATION)
    family = platform.get("product_family_code") if isinstance(platform, dict) else None
    host = urlsplit(str(config.get("issuer"))).netloc
    return (f"{family} ({host})" if isinstance(family, str) and family else host)[:255]


def dynamic_register(
    *, request: HttpRequest, token: str, openid_configuration: str, registration_token: str
) -> LtiRegistration:
    """The whole dynamic registration: the link is claimed, the LMS's configuration fetched,
    the tool registered with it, and the platform and its deployment kept. On any refusal
    nothing is kept and the link may be used again (if it was valid)."""
    link = registration_link_claim(token)
    try:
        if not openid_configuration:
            raise RegistrationRefused(
                _("Open this link from the LMS's dynamic registration (it sends its configuration's address)."),
                detail="openid_configuration is missing",
            )
        config = openid_configuration_fetch(openid_configuration)
        # The registration's uuid is chosen now: the LMS is told the login URL that carries it.
        registration = LtiRegistration(
            name=platform_name(config),
            issuer=config["issuer"],
            auth_url=config["authorization_endpoint"],
            token_url=config["token_endpoint"],
            keyset_url=config["jwks_uri"],
            audience=str(config.get("authorization_server") or "")[:255],
            is_active=True,
        )
        urls = tool_urls(request, registration)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        body = client_registration_body(urls=urls, login_url=urls.login)
        answer = _platform_call("POST", config["registration_endpoint"], data=json.dumps(body), headers=headers)
        client_id = answer.get("client_id")
        tool_config = answer.get(TOOL_CONFIGURATION)
        deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
        if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
            raise RegistrationRefused(
                _("The LMS's answer has no client id."), detail=json.dumps(answer)[:500], status=502
            )
        if not isinstance(deployment_id, str) or not deployment_id or len(deployment_id) > 255:
            raise RegistrationRefused(
                _("The LMS's answer has no deployment id."), detail=json.dumps(answer)[:500], status=502
            )
        registration.client_id = client_id
        try:
            with transaction.atomic():
                if LtiRegistration.objects.filter(issuer=registration.issuer, client_id=client_id).exists():
                    raise RegistrationRefused(
                        _("This LMS (issuer and client id) is already registered in Estaleiro."),
                        detail=f"{registration.issuer} {client_id}",
                        status=409,
                    )
                platform_save(registration=registration, deployment_ids=[deployment_id])
                RegistrationLink.objects.filter(pk=link.pk).update(registration=registration)
        except IntegrityError as exc:
            raise RegistrationRefused(
                _("This LMS (issuer and client id) is already registered in Estaleiro."), detail=str(exc), status=409
            ) from exc
    except Exception:
        # Nothing was kept: the link works again (the administrator may retry from the LMS).
        RegistrationLink.objects.filter(pk=link.pk, registration__isnull=True).update(used_at=None)
        raise
    logger.info(
        "LTI platform registered dynamically: %s (%s, client %s)", registration.name, registration.issuer, client_id
    )
    return registration
