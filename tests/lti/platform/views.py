"""The platform's pages and endpoints.

Checks made here, around the library (a real LMS makes them; lti1p3platform 0.1.8 does not):
- OIDC auth request: scope, response_type, response_mode, prompt, the client id, the
  redirect_uri against the tool's one registered launch URL, the login_hint against the
  signed-in user, a nonce never seen before, and what the lti_message_hint names (a resource
  link of a course the user belongs to, or a deep-linking request the user started).
- Token request: the client assertion's type, its iss/sub (the client id) and aud (this token
  URL), after the library has checked its signature against the tool's key set.
- Deep-linking response: iss (client id), aud (this issuer), the deployment id and the `data`
  handed out with the request, single use, after the library's signature and type checks.
- AGS/NRPS: an invalid bearer token answers 401 (the library would raise), each endpoint wants
  its own scope (the library accepts any AGS scope anywhere), and media types are checked.
"""

from __future__ import annotations

import json
import secrets
import typing as t
from urllib.parse import urlsplit

import jwt
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from lti1p3platform.exceptions import (
    LtiDeepLinkingResponseException,
    LtiException,
    MissingRequiredClaim,
    PreflightRequestValidationException,
    UnsupportedGrantType,
)
from lti1p3platform.framework.django.request import DjangoRequest
from lti1p3platform.framework.django.response import wrap_json_resp
from lti1p3platform.registration import Registration
from lti1p3platform.response import Response

from .lti import (
    LINEITEM_MEDIA_TYPE,
    PUBLIC_KEY,
    SCORE_MEDIA_TYPE,
    Grades,
    Launch,
    LoginInitiation,
    Roster,
    platform_conf,
)
from .state import (
    DEFAULT_CONTEXT_ID,
    ROLES,
    STATE,
    Context,
    ResourceLink,
    Tool,
    User,
    line_item_url,
    line_items_url,
    memberships_url,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def base_url() -> str:
    return STATE.base_url


def refuse(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def json_error(error: str, status: int, description: str = "") -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def current_user(request: HttpRequest) -> User | None:
    return STATE.users.get(request.session.get("user", ""))


# ---- people and pages ------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(request, "platform/home.html", {"user": user, "users": list(STATE.users.values())})


def login_as(request: HttpRequest, username: str) -> HttpResponse:
    if username not in STATE.users:
        return refuse("unknown user", 404)
    request.session.cycle_key()
    request.session["user"] = username
    next_url = request.GET.get("next", "")
    parts = urlsplit(next_url)
    if not next_url.startswith("/") or next_url.startswith("//") or parts.scheme or parts.netloc:
        next_url = f"/course/{next(iter(STATE.contexts))}/"
    return redirect(next_url)


def course(request: HttpRequest, context_id: str) -> HttpResponse:
    user = current_user(request)
    context = STATE.contexts.get(context_id)
    if context is None:
        return refuse("no such course", 404)
    if user is None:
        return redirect("/")
    if user.username not in context.members:
        return refuse("you are not a member of this course", 403)
    with STATE.lock:
        links = [link for link in STATE.resource_links.values() if link.context_id == context_id]
        rows = []
        for link in links:
            item = STATE.line_items.get(link.line_item_id or "")
            scores = [s for s in STATE.scores if item and s["line_item_id"] == item.id]
            rows.append({"link": link, "item": item, "scores": scores})
    return render(request, "platform/course.html", {"user": user, "context": context, "rows": rows})


# ---- launches ----------------------------------------------------------------------------


def _initiate(request: HttpRequest, user: User, hint: str, launch_url: str | None) -> HttpResponse:
    if not STATE.tool.login_url:
        return refuse("no tool is configured", 409)
    login = LoginInitiation(DjangoRequest(request), platform_conf(base_url()))
    login.set_lti_message_hint(hint=hint)
    if launch_url:
        login.set_launch_url(launch_url)
    else:
        login.set_deeplinking_launch_url()
    return t.cast(HttpResponse, login.initiate_login(user.sub))


def launch(request: HttpRequest, link_id: str) -> HttpResponse:
    """A learner or teacher opens a resource link: in the course page's iframe or a new tab."""
    user = current_user(request)
    link = STATE.resource_links.get(link_id)
    if link is None:
        return refuse("no such resource link", 404)
    if user is None or user.username not in STATE.contexts[link.context_id].members:
        return refuse("sign in as a member of the course first", 403)
    target = "window" if request.GET.get("target") == "window" else "iframe"
    return _initiate(request, user, f"rl:{link.id}:{target}", link.url)


def add_activity(request: HttpRequest, context_id: str) -> HttpResponse:
    """An instructor asks the tool for content (deep linking), in the course page's iframe."""
    user = current_user(request)
    context = STATE.contexts.get(context_id)
    if context is None:
        return refuse("no such course", 404)
    if user is None or user.username not in context.members or not user.is_instructor:
        return refuse("only the course's instructors add activities", 403)
    request_id = secrets.token_urlsafe(16)
    with STATE.lock:
        STATE.deep_link_requests[request_id] = (context_id, user.username)
    return _initiate(request, user, f"dl:{context_id}:{request_id}", None)


def _claims_for(launch: Launch, user: User, hint: str) -> str | None:
    """Sets the launch's claims for what the hint names; a reason to refuse, or None."""
    kind, _, rest = hint.partition(":")
    base = base_url()
    if kind == "rl":
        link_id, _, target = rest.partition(":")
        link = STATE.resource_links.get(link_id)
        if link is None or target not in {"iframe", "window"}:
            return "lti_message_hint names no resource link"
        context = STATE.contexts[link.context_id]
        if user.username not in context.members:
            return "the user is not a member of the resource link's course"
        _common_claims(launch, user, context)
        launch.set_launch_url(link.url)
        launch.set_resource_link_claim(link.id, title=link.title)
        launch.set_launch_presentation_claim(document_target=target, return_url=f"{base}/course/{context.id}/")
        if link.custom:
            launch.set_custom_parameters_claim(link.custom)
        launch.set_ags(
            lineitems_url=line_items_url(base, context.id),
            lineitem_url=line_item_url(base, context.id, link.line_item_id) if link.line_item_id else None,
        )
        return None
    if kind == "dl":
        context_id, _, request_id = rest.partition(":")
        started = STATE.deep_link_requests.get(request_id)
        if started != (context_id, user.username):
            return "lti_message_hint names no deep-linking request of this user"
        context = STATE.contexts[context_id]
        _common_claims(launch, user, context)
        launch.set_launch_presentation_claim(document_target="iframe", return_url=f"{base}/course/{context.id}/")
        launch.set_dl(
            f"{base}/course/{context.id}/deep-link-return/",
            title="Add activity",
            accept_types={"ltiResourceLink"},
            # The spec's `data` is an opaque string; the library types it as a dict but sends it as is.
            extra_data=t.cast(t.Any, request_id),
        )
        launch.set_ags(lineitems_url=line_items_url(base, context.id))
        return None
    return "unknown lti_message_hint"


def _common_claims(launch: Launch, user: User, context: Context) -> None:
    launch.set_user_data(user.sub, [user.role], full_name=user.name, email_address=user.email)
    launch.set_extra_claims(
        {
            "given_name": user.given_name,
            "family_name": user.family_name,
            f"{CLAIM}tool_platform": {
                "guid": "lti1p3platform-test-harness",
                "name": "Plataforma de testes",
                "product_family_code": "lti1p3platform",
            },
        }
    )
    launch.set_launch_context_claim(
        context.id,
        context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        context_title=context.title,
        context_label=context.label,
    )
    launch.set_nrps(memberships_url(base_url(), context.id))


def authorize(request: HttpRequest) -> HttpResponse:
    """OIDC authentication request from the tool: answer with the id_token, auto-posted."""
    params = request.GET if request.method == "GET" else request.POST
    user = current_user(request)
    tool = STATE.tool
    if user is None:
        return refuse("login_required: nobody is signed in on the platform", 401)
    wrong = [
        name
        for name, expected in (
            ("scope", "openid"),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("prompt", "none"),
            ("client_id", tool.client_id),
            ("redirect_uri", tool.launch_url),
            ("login_hint", user.sub),
        )
        if params.get(name) != expected
    ]
    nonce = params.get("nonce", "")
    if not nonce or nonce in STATE.used_nonces:
        wrong.append("nonce")
    if not params.get("state"):
        wrong.append("state")
    if wrong:
        return refuse(f"invalid_request: {', '.join(wrong)}")
    launch = Launch(DjangoRequest(request), platform_conf(base_url()))
    reason = _claims_for(launch, user, params.get("lti_message_hint", ""))
    if reason:
        return refuse(f"invalid_request: {reason}")
    with STATE.lock:
        STATE.used_nonces.add(nonce)
    try:
        return t.cast(HttpResponse, launch.lti_launch())
    except PreflightRequestValidationException:
        return refuse("invalid_request: the library refused the preflight response")


def deep_link_return(request: HttpRequest, context_id: str) -> HttpResponse:
    """The tool's deep-linking response: the content items become resource links (and their
    line items). Posted from the tool's page, so it carries no session of ours: the `data`
    handed out with the request says whose request it answers."""
    context = STATE.contexts.get(context_id)
    if context is None or request.method != "POST" or "JWT" not in request.POST:
        return refuse("a deep-linking response is a POST with a JWT")
    conf = platform_conf(base_url())
    conf.set_accepted_deeplinking_types(["ltiResourceLink"])
    token = request.POST["JWT"]
    try:
        items = conf.validate_deeplinking_resp({"JWT": token})
    except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError) as exc:
        return refuse(f"deep-linking response refused: {exc}")
    # The library verified the signature; read the claims it does not check.
    claims = jwt.decode(token, options={"verify_signature": False})
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    problems = []
    if claims.get("iss") != STATE.tool.client_id:
        problems.append("iss")
    if base_url() not in audiences:
        problems.append("aud")
    if claims.get(f"{CLAIM}deployment_id") != STATE.tool.deployment_id:
        problems.append("deployment_id")
    with STATE.lock:
        started = STATE.deep_link_requests.pop(str(claims.get(f"{DL_CLAIM}data")), None)
    if started is None or started[0] != context_id:
        problems.append("data")
    if problems:
        return refuse(f"deep-linking response refused: {', '.join(problems)}")
    added = []
    for item in items:
        link = ResourceLink(
            id=STATE.next_id("rl"),
            context_id=context_id,
            title=str(item.get("title") or "Activity"),
            url=str(item.get("url") or STATE.tool.launch_url),
            custom={str(k): str(v) for k, v in (item.get("custom") or {}).items()},
        )
        line_item_data = item.get("lineItem")
        if isinstance(line_item_data, dict):
            try:
                link.line_item_id = STATE.add_line_item(context_id, line_item_data, resource_link_id=link.id).id
            except ValueError as exc:
                return refuse(f"deep-linking response refused: lineItem: {exc}")
        with STATE.lock:
            STATE.resource_links[link.id] = link
        added.append(link)
    return render(request, "platform/deep_link_done.html", {"added": added, "context": context})


# ---- services ----------------------------------------------------------------------------


def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"keys": [Registration.get_jwk(PUBLIC_KEY)]})


def token(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return json_error("invalid_request", 405, "POST only")
    with STATE.lock:
        STATE.token_requests += 1
    data = request.POST.dict()
    if data.get("client_assertion_type") != ASSERTION_TYPE:
        return json_error("invalid_request", 400, "client_assertion_type")
    conf = platform_conf(base_url())
    try:
        answer = conf.get_access_token(data)
    except MissingRequiredClaim as exc:
        return json_error("invalid_request", 400, str(exc))
    except UnsupportedGrantType:
        return json_error("unsupported_grant_type", 400)
    except (LtiException, jwt.PyJWTError, ValueError) as exc:
        return json_error("invalid_client", 401, str(exc))
    claims = jwt.decode(data["client_assertion"], options={"verify_signature": False})
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if claims.get("iss") != STATE.tool.client_id or claims.get("sub") != STATE.tool.client_id:
        return json_error("invalid_client", 401, "iss/sub is not the client id")
    if f"{base_url()}/token" not in audiences:
        return json_error("invalid_client", 401, "aud is not this token endpoint")
    return JsonResponse(dict(answer))


def _token_scopes(request: HttpRequest) -> set[str]:
    auth = request.headers.get("Authorization", "").split()
    if len(auth) != 2:
        return set()
    claims = Registration.decode_and_verify(auth[1], PUBLIC_KEY)
    return set(str(claims.get("scopes", "")).split())


def _service(request: HttpRequest, call: t.Callable[[], Response], scopes: set[str]) -> HttpResponse:
    """Run one library service handler: a 401 for a bad token (the library would raise), a
    403 for a token without the endpoint's scope."""
    try:
        response = call()
        if 200 <= response.code < 300 and not scopes & _token_scopes(request):
            return json_error("insufficient_scope", 403)
    except (LtiException, jwt.PyJWTError) as exc:
        return json_error("invalid_token", 401, str(exc))
    return wrap_json_resp(response)


def _ags_outage() -> JsonResponse | None:
    if STATE.take_ags_outage():
        return json_error("unavailable", 503, "the grade service is down")
    return None


def _needs_media_type(request: HttpRequest, media_type: str) -> JsonResponse | None:
    if request.content_type != media_type:
        return json_error("unsupported_media_type", 415, f"expected {media_type}")
    return None


def lineitems(request: HttpRequest, context_id: str) -> HttpResponse:
    if context_id not in STATE.contexts:
        return json_error("not_found", 404)
    if down := _ags_outage():
        return down
    service = Grades(DjangoRequest(request), platform_conf(base_url()), context_id=context_id)
    if request.method == "POST":
        if wrong := _needs_media_type(request, LINEITEM_MEDIA_TYPE):
            return wrong
        return _service(request, lambda: service.handle_resp(service.handle_create_lineitem), {SCOPE + "lineitem"})
    read = {SCOPE + "lineitem", SCOPE + "lineitem.readonly"}
    return _service(request, lambda: service.handle_resp(service.handle_get_lineitems), read)


def lineitem(request: HttpRequest, context_id: str, line_item_id: str) -> HttpResponse:
    if context_id not in STATE.contexts:
        return json_error("not_found", 404)
    if down := _ags_outage():
        return down
    service = Grades(
        DjangoRequest(request), platform_conf(base_url()), context_id=context_id, line_item_id=line_item_id
    )
    if request.method == "PUT":
        if wrong := _needs_media_type(request, LINEITEM_MEDIA_TYPE):
            return wrong
        call = lambda: service.handle_resp(service.handle_update_lineitem, line_item_id=line_item_id)  # noqa: E731
        return _service(request, call, {SCOPE + "lineitem"})
    if request.method == "DELETE":
        call = lambda: service.handle_resp(service.handle_delete_lineitem, line_item_id=line_item_id)  # noqa: E731
        return _service(request, call, {SCOPE + "lineitem"})
    call = lambda: service.handle_resp(service.handle_get_lineitem, line_item_id=line_item_id)  # noqa: E731
    return _service(request, call, {SCOPE + "lineitem", SCOPE + "lineitem.readonly"})


def scores(request: HttpRequest, context_id: str, line_item_id: str) -> HttpResponse:
    if context_id not in STATE.contexts:
        return json_error("not_found", 404)
    if down := _ags_outage():
        return down
    if request.method == "POST" and (wrong := _needs_media_type(request, SCORE_MEDIA_TYPE)):
        return wrong
    service = Grades(
        DjangoRequest(request), platform_conf(base_url()), context_id=context_id, line_item_id=line_item_id
    )
    call = lambda: service.handle_resp(service.handle_update_score, line_item_id=line_item_id)  # noqa: E731
    return _service(request, call, {SCOPE + "score"})


def results(request: HttpRequest, context_id: str, line_item_id: str) -> HttpResponse:
    if context_id not in STATE.contexts:
        return json_error("not_found", 404)
    if down := _ags_outage():
        return down
    service = Grades(
        DjangoRequest(request), platform_conf(base_url()), context_id=context_id, line_item_id=line_item_id
    )
    call = lambda: service.handle_resp(service.handle_get_results, line_item_id=line_item_id)  # noqa: E731
    return _service(request, call, {SCOPE + "result.readonly"})


def memberships(request: HttpRequest, context_id: str) -> HttpResponse:
    if context_id not in STATE.contexts:
        return json_error("not_found", 404)
    url = memberships_url(base_url(), context_id)
    service = Roster(DjangoRequest(request), platform_conf(base_url()), context_id=context_id, memberships_url=url)
    return _service(request, lambda: service.handle_resp(service.handle_get_members), {NRPS_SCOPE})


# ---- test-only endpoints -----------------------------------------------------------------


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "issuer": base_url()})


def state(request: HttpRequest) -> JsonResponse:
    return JsonResponse(STATE.snapshot(base_url()))


def control(request: HttpRequest) -> JsonResponse:
    """POST a JSON object; each key present is applied in this order:
    reset: true                        forget everything but the key pair
    tool: {client_id, deployment_id, login_url, launch_url, jwks_url, jwks}
    ags_down: N (next N AGS requests answer 503), -1 or true (until lifted), 0 or false (lift)
    add_member: {username, name?, given_name?, family_name?, email?, role?: Learner|TeachingAssistant|Instructor, context?}
    remove_member: {username, context?}
    add_context: {id, title, label?, members?: [usernames]}
    """
    if request.method != "POST":
        return json_error("invalid_request", 405)
    try:
        orders = json.loads(request.body or b"{}")
    except ValueError:
        return json_error("invalid_request", 400, "not JSON")
    if not isinstance(orders, dict):
        return json_error("invalid_request", 400, "a JSON object")
    default_context = DEFAULT_CONTEXT_ID
    with STATE.lock:
        if orders.get("reset"):
            STATE.reset()
        if "tool" in orders:
            fields = {k: v for k, v in orders["tool"].items() if k in Tool.__dataclass_fields__}
            STATE.tool = Tool(**{**STATE.tool.__dict__, **fields})
        if "ags_down" in orders:
            value = orders["ags_down"]
            STATE.ags_down = -1 if value is True else 0 if value is False else int(value)
        if "add_context" in orders:
            spec = orders["add_context"]
            STATE.contexts[spec["id"]] = Context(
                spec["id"], spec["title"], spec.get("label", ""), list(spec.get("members", []))
            )
        if "add_member" in orders:
            spec = orders["add_member"]
            name = spec["username"]
            if name not in STATE.users:
                STATE.users[name] = User(
                    name,
                    spec.get("name", name.title()),
                    spec.get("given_name", name.title()),
                    spec.get("family_name", ""),
                    spec.get("email", f"{name}@lms.example"),
                    ROLES[spec.get("role", "Learner")],
                )
            members = STATE.contexts[spec.get("context", default_context)].members
            if name not in members:
                members.append(name)
        if "remove_member" in orders:
            spec = orders["remove_member"]
            members = STATE.contexts[spec.get("context", default_context)].members
            if spec["username"] in members:
                members.remove(spec["username"])
    return JsonResponse(STATE.snapshot(base_url()))
