"""A pretend LMS for tests at the HTTP boundary: its RSA keys, its registration and deployment
in the database, the id_tokens it would sign, and the answers its JWKS, token and
names-and-roles endpoints give, served beneath `lti.launch.TimeoutSession` (the only way
Estaleiro reaches an LMS) by patching `requests.Session.request`.

Keys are made once per test session: an RSA key costs a noticeable fraction of a second."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from lti_tool.models import LtiDeployment, LtiRegistration

ISSUER = "https://lms.example.test"
CLIENT_ID = "estaleiro-client-1"
DEPLOYMENT_ID = "deployment-1"
AUTH_URL = f"{ISSUER}/auth"
TOKEN_URL = f"{ISSUER}/token"
KEYSET_URL = f"{ISSUER}/jwks"
MEMBERSHIPS_URL = f"{ISSUER}/courses/course-1/memberships"
LINEITEMS_URL = f"{ISSUER}/courses/course-1/lineitems"
TOOL_HOST = "127.0.0.1"  # loopback: where browsers take `Secure` cookies over plain HTTP
LAUNCH_URL = f"http://{TOOL_HOST}/lti/launch/"

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = ROLE + "Instructor"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
LEARNER = ROLE + "Learner"
MENTOR = ROLE + "Mentor"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@cache
def platform_key(kid: str) -> rsa.RSAPrivateKey:
    """The platform's RSA key named `kid` (made on first use, kept for the session)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str) -> dict[str, Any]:
    data = RSAAlgorithm.to_jwk(platform_key(kid).public_key(), as_dict=True)
    data.update(kid=kid, alg="RS256", use="sig")
    return data


def response(status: int = 200, body: Any = None, headers: dict[str, str] | None = None, url: str = "") -> Any:
    """A `requests.Response` as a server would have sent it."""
    resp = requests.Response()
    resp.status_code = status
    resp._content = b"" if body is None else json.dumps(body).encode()
    resp.headers.update({"Content-Type": "application/json", **(headers or {})})
    resp.url = url
    resp.encoding = "utf-8"
    return resp


@dataclass
class FakeLms:
    """What the LMS publishes and answers. `routes` maps (method, URL) to a function of the
    request's keyword arguments that returns a response; every call is kept in `calls`."""

    published: list[str] = field(default_factory=lambda: ["platform-1"])
    routes: dict[tuple[str, str], Callable[[dict], Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    registration: LtiRegistration | None = None
    deployment: LtiDeployment | None = None
    # The names-and-roles pages: URL -> (members, the next page's URL or None).
    pages: dict[str, tuple[list[dict], str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.routes[("GET", KEYSET_URL)] = lambda kw: response(
            body={"keys": [public_jwk(kid) for kid in self.published]}
        )
        self.routes[("POST", TOKEN_URL)] = lambda kw: response(
            body={"access_token": "lms-token-" + uuid.uuid4().hex, "token_type": "Bearer", "expires_in": 3600}
        )

    def serve_pages(self) -> None:
        """Answer every URL of `pages` as a names-and-roles page, linking to the next one."""
        for url in self.pages:
            self.routes[("GET", url)] = self._memberships(url)

    def _memberships(self, url: str) -> Callable[[dict], Any]:
        def answer(kwargs: dict) -> Any:
            assert kwargs["headers"]["Authorization"].startswith("Bearer lms-token-")
            members, next_url = self.pages[url]
            headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
            return response(body={"id": url, "context": {"id": "course-1"}, "members": members}, headers=headers)

        return answer

    def fetches(self, url: str = KEYSET_URL) -> int:
        return sum(1 for _method, called in self.calls if called == url)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        method = method.upper()
        self.calls.append((method, url))
        assert kwargs.get("timeout"), "every call to an LMS has a timeout"
        route = self.routes.get((method, url))
        if route is None:
            raise requests.ConnectionError(f"nothing answers at {url}")
        return route(kwargs)


def lms_install(monkeypatch, *, active_deployment: bool = True) -> FakeLms:
    """The LMS registered in Estaleiro with one deployment, and its HTTP side patched in."""
    lms = FakeLms()
    lms.registration = LtiRegistration.objects.create(
        name="Moodle de teste",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        auth_url=AUTH_URL,
        token_url=TOKEN_URL,
        keyset_url=KEYSET_URL,
    )
    lms.deployment = LtiDeployment.objects.create(
        registration=lms.registration, deployment_id=DEPLOYMENT_ID, is_active=active_deployment
    )

    def fake_request(session, method, url, *args, **kwargs):
        return lms.request(method, url, **kwargs)

    # The base class: `lti.launch.TimeoutSession` adds its timeout, then the LMS answers (a
    # plain session somewhere would fail FakeLms's timeout check).
    monkeypatch.setattr(requests.Session, "request", fake_request)
    return lms


def claims(
    *,
    nonce: str,
    sub: str = "lms-learner-1",
    roles: Iterable[str] = (LEARNER,),
    message_type: str = "LtiResourceLinkRequest",
    item: str | None = "quiz:aula-45",
    email: str | None = None,
    context_id: str = "course-1",
    resource_link_id: str = "resource-1",
    now: float | None = None,
) -> dict[str, Any]:
    """Every claim an LMS sends with a launch (LTI 1.3 core, AGS and NRPS)."""
    now = time.time() if now is None else now
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": sub,
        "iat": int(now),
        "exp": int(now) + 300,
        "nonce": nonce,
        "given_name": "Ana",
        "family_name": "Souza",
        "name": "Ana Souza",
        CLAIM + "deployment_id": DEPLOYMENT_ID,
        CLAIM + "message_type": message_type,
        CLAIM + "version": "1.3.0",
        CLAIM + "roles": list(roles),
        CLAIM + "context": {
            "id": context_id,
            "label": "DOCKER-45",
            "title": "Containerização com Docker",
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        CLAIM + "target_link_uri": LAUNCH_URL,
        CLAIM + "tool_platform": {"guid": "lms-guid-1", "name": "Moodle de teste", "product_family_code": "moodle"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            ],
            "lineitems": LINEITEMS_URL,
            "lineitem": f"{LINEITEMS_URL}/{resource_link_id}",
        },
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": MEMBERSHIPS_URL,
            "service_versions": ["2.0"],
        },
    }
    if email is not None:
        body["email"] = email
    if message_type == "LtiResourceLinkRequest":
        body[CLAIM + "resource_link"] = {"id": resource_link_id, "title": "Atividade do Estaleiro"}
        if item is not None:
            body[CLAIM + "custom"] = {"estaleiro_item": item}
    else:
        body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
            "deep_link_return_url": f"{ISSUER}/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
        }
    return body


def sign(body: dict[str, Any], *, kid: str = "platform-1", key_of: str | None = None) -> str:
    """The id_token: `body` signed with the platform key `key_of` (default: `kid`'s own),
    its header naming `kid`."""
    return jwt.encode(body, platform_key(key_of or kid), algorithm="RS256", headers={"kid": kid})


def oidc_login(client, lms: FakeLms) -> tuple[str, str]:
    """The LMS's login initiation through the browser: Estaleiro sends the browser to the
    LMS's authorization endpoint with a state (also set as a cookie) and a nonce."""
    assert lms.registration is not None
    resp = client.get(
        f"/lti/login/{lms.registration.uuid}/",
        {
            "iss": ISSUER,
            "client_id": CLIENT_ID,
            "login_hint": "hint-1",
            "lti_message_hint": "message-hint-1",
            "target_link_uri": LAUNCH_URL,
            "lti_deployment_id": DEPLOYMENT_ID,
            "lti1p3_new_window": "1",  # past PyLTI1p3's cookie check page
        },
    )
    assert resp.status_code == 302, resp.content
    location = resp["Location"]
    assert location.startswith(lms.registration.auth_url + "?")
    from urllib.parse import parse_qs

    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == [LAUNCH_URL]
    state, nonce = query["state"][0], query["nonce"][0]
    assert client.cookies["lti1p3-" + state].value == state
    return state, nonce


def launch(client, *, state: str, token: str):
    return client.post("/lti/launch/", {"state": state, "id_token": token})
