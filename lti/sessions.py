"""Cookies and framing for sessions that began with an LTI launch.

An LMS shows the tool in an iframe: from the browser's view Estaleiro is then a third
party, and a cookie reaches it only if it says `SameSite=None; Secure` (and, where the
browser blocks third-party cookies, `Partitioned`). Only the LTI
paths' cookies (PyLTI1p3's state cookies) and the session, CSRF, language and messages
cookies of a session born of a launch get that; a session started on Estaleiro's own login page keeps `Lax`.
Such a session's pages may also be framed by its LMS (and only by it): `X-Frame-Options`
gives way to a `frame-ancestors` naming the platform's origins.

`Secure` cookies need HTTPS, which a real LMS requires anyway; on loopback (a test, a
laptop) browsers accept them over plain HTTP. Elsewhere over HTTP the cookies stay as they
are and PyLTI1p3's cookie check offers a new window instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from core.net import is_loopback

LTI_SESSION_KEY = "lti"
# CHIPS: a `Partitioned` cookie is kept for the top-level site it was set under (the LMS's
# page), and browsers that block third-party cookies (Chromium's default, Safari, any
# private window) still keep it, where a plain `SameSite=None` one is dropped and the launch
# cannot find its state. Python's http.cookies knows no `Partitioned` before 3.14: it rides on
# the SameSite value, which is written out as is.
CROSS_SITE_SAMESITE = "None; Partitioned"


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def platform_origins(registration, claims: dict | None = None) -> list[str]:
    """Who may frame the session's pages: the platform's registered addresses (issuer, login,
    token endpoint) and, from the signed launch, the course page's own address — the
    launch presentation's return URL and the platform instance's URL. A hosted LMS such as
    Canvas serves a course at the school's address while its issuer and login are the
    vendor's."""
    claims = claims or {}
    presentation = claims.get("https://purl.imsglobal.org/spec/lti/claim/launch_presentation") or {}
    instance = claims.get("https://purl.imsglobal.org/spec/lti/claim/tool_platform") or {}
    urls = [registration.issuer, registration.auth_url, registration.token_url]
    if isinstance(presentation, dict):
        urls.append(str(presentation.get("return_url") or ""))
    if isinstance(instance, dict):
        urls.append(str(instance.get("url") or ""))
    return sorted({o for o in map(_origin, urls) if o})


def lti_session_start(request, *, registration, launch_id: str, claims: dict | None = None) -> None:
    request.session[LTI_SESSION_KEY] = {
        "registration": registration.pk,
        "frame_ancestors": platform_origins(registration, claims),
        "launch_id": launch_id,
    }


def _cross_site_cookies_possible(request) -> bool:
    if request.is_secure():
        return True
    return is_loopback(urlsplit("//" + request.get_host()).hostname or "")


class LtiSessionMiddleware:
    """Before the session middleware in MIDDLEWARE, so it sees the cookies that one sets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        lti = session.get(LTI_SESSION_KEY) if session is not None else None
        if (lti or request.path.startswith("/lti/")) and _cross_site_cookies_possible(request):
            own = (
                {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME, "messages"}
                if lti
                else set()
            )
            for name, morsel in response.cookies.items():
                if name.startswith("lti1p3-") or name in own:
                    if morsel.get("max-age") == 0:
                        continue  # a deletion
                    morsel["samesite"] = CROSS_SITE_SAMESITE
                    morsel["secure"] = True
        if lti and lti.get("frame_ancestors"):
            if "X-Frame-Options" in response:
                del response["X-Frame-Options"]
            response["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(lti["frame_ancestors"])
        return response
