"""The test platform itself, played against by a tool made of a key pair and `requests`: its
key set, its token endpoint, a deep-linking round and a resource-link launch, AGS and NRPS.
These pass before any tool exists, so a failing LTI test later points at the tool."""

import json
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from jwcrypto.jwk import JWK

CLIENT_ID = "harness-client"
DEPLOYMENT_ID = "harness-deployment"
TOOL = "http://tool.invalid"  # never contacted: the harness's tool key set is given inline
LAUNCH_URL = f"{TOOL}/lti/launch/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class FakeTool:
    def __init__(self, kid: str | None = None) -> None:
        """A tool's key pair; `kid` taken from another tool makes an impostor."""
        self.kid = kid or uuid.uuid4().hex
        self.key = JWK.generate(kty="RSA", size=2048, kid=self.kid, alg="RS256", use="sig")
        self.pem = self.key.export_to_pem(private_key=True, password=None)

    def jwks(self) -> dict:
        return {"keys": [json.loads(self.key.export_public())]}

    def sign(self, claims: dict) -> str:
        now = int(time.time())
        return jwt.encode(
            {"iat": now, "exp": now + 300, "jti": uuid.uuid4().hex, **claims},
            self.pem,
            algorithm="RS256",
            headers={"kid": self.kid},
        )


@pytest.fixture
def tool(fresh_platform):
    fake = FakeTool()
    fresh_platform.configure_tool(
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        login_url=f"{TOOL}/lti/login/",
        launch_url=LAUNCH_URL,
        jwks=fake.jwks(),
    )
    return fake


def platform_key(platform) -> str:
    keys = requests.get(platform.jwks_url, timeout=5).json()["keys"]
    return JWK(**keys[0]).export_to_pem().decode()


def request_token(platform, signer: FakeTool, scopes: list[str], **overrides) -> requests.Response:
    assertion = signer.sign({"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": platform.token_url, **overrides})
    return requests.post(
        platform.token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        },
        timeout=10,
    )


def bearer(platform, tool, scopes) -> dict:
    response = request_token(platform, tool, scopes)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action") or ""
        if tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def launch(platform, browser: requests.Session, start_url: str, **tamper) -> tuple[requests.Response, dict]:
    """Follow a launch as the tool would: the login initiation, then the OIDC auth request.
    Returns the auth response and the login initiation's parameters."""
    initiation = browser.get(start_url, allow_redirects=False, timeout=10)
    assert initiation.status_code == 302, initiation.text
    location = initiation.headers["Location"]
    assert location.startswith(f"{TOOL}/lti/login/")
    login = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    auth = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login["client_id"],
        "redirect_uri": login["target_link_uri"],
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "state": uuid.uuid4().hex,
        "nonce": uuid.uuid4().hex,
        **tamper,
    }
    return browser.get(platform.auth_url, params=auth, timeout=10), login


def id_token_of(platform, response: requests.Response) -> tuple[str, dict]:
    form = FormReader()
    form.feed(response.text)
    claims = jwt.decode(form.fields["id_token"], platform_key(platform), algorithms=["RS256"], audience=CLIENT_ID)
    return form.action, claims


def signed_in(platform, username: str) -> requests.Session:
    browser = requests.Session()
    login = browser.get(platform.login_url(username), allow_redirects=False, timeout=10)
    assert login.status_code == 302
    # The session cookie is Secure (see server.py): requests keeps it from plain HTTP, a
    # browser on loopback does not. Send it as a browser would.
    browser.headers["Cookie"] = f"platform_session={login.cookies['platform_session']}"
    return browser


def add_lab_by_deep_linking(platform, tool) -> dict:
    prof = signed_in(platform, "prof")
    response, _ = launch(platform, prof, platform.course_url() + "add-activity/")
    assert response.status_code == 200, response.text
    _, request = id_token_of(platform, response)
    settings = request[f"{DL}deep_linking_settings"]
    reply = tool.sign(
        {
            "iss": CLIENT_ID,
            "aud": [platform.url],
            "nonce": uuid.uuid4().hex,
            f"{CLAIM}message_type": "LtiDeepLinkingResponse",
            f"{CLAIM}version": "1.3.0",
            f"{CLAIM}deployment_id": DEPLOYMENT_ID,
            f"{DL}data": settings["data"],
            f"{DL}content_items": [
                {
                    "type": "ltiResourceLink",
                    "url": LAUNCH_URL,
                    "title": "Seu primeiro contêiner",
                    "custom": {"estaleiro_item": "lab:primeiro-conteiner"},
                    "lineItem": {"scoreMaximum": 100, "label": "Seu primeiro contêiner", "resourceId": "lab:1"},
                }
            ],
        }
    )
    done = requests.post(settings["deep_link_return_url"], data={"JWT": reply}, timeout=10)
    assert done.status_code == 200, done.text
    return {"request": request, "reply": reply, "return_url": settings["deep_link_return_url"]}


def test_jwks_publishes_the_key_that_signs_access_tokens(fresh_platform, tool):
    keys = requests.get(fresh_platform.jwks_url, timeout=5).json()["keys"]
    assert len(keys) == 1
    assert {keys[0]["kty"], keys[0]["alg"], keys[0]["use"]} == {"RSA", "RS256", "sig"} and keys[0]["kid"]
    assert "d" not in keys[0], "the private part never leaves the platform"
    token = request_token(fresh_platform, tool, [AGS + "score"]).json()["access_token"]
    claims = jwt.decode(token, platform_key(fresh_platform), algorithms=["RS256"])
    assert claims["sub"] == CLIENT_ID and claims["iss"] == fresh_platform.url
    # The launch's id_token names the key, as a tool's verifier looks it up by kid.
    prof = signed_in(fresh_platform, "prof")
    response, _ = launch(fresh_platform, prof, fresh_platform.course_url() + "add-activity/")
    form = FormReader()
    form.feed(response.text)
    assert jwt.get_unverified_header(form.fields["id_token"])["kid"] == keys[0]["kid"]


def test_token_endpoint_grants_only_known_scopes_to_the_registered_key(fresh_platform, tool):
    response = request_token(fresh_platform, tool, [AGS + "score", NRPS, "https://example.com/scope/admin"])
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert set(response.json()["scope"].split()) == {AGS + "score", NRPS}


def test_token_endpoint_refuses_a_wrong_assertion(fresh_platform, tool):
    signed_by_another_key = request_token(fresh_platform, FakeTool(kid=tool.kid), [AGS + "score"])
    assert signed_by_another_key.status_code == 401
    assert signed_by_another_key.json()["error"] == "invalid_client"
    assert request_token(fresh_platform, tool, [AGS + "score"], aud="http://elsewhere/token").status_code == 401
    assert request_token(fresh_platform, tool, [AGS + "score"], iss="someone-else").status_code == 401
    expired = request_token(fresh_platform, tool, [AGS + "score"], exp=int(time.time()) - 60)
    assert expired.status_code == 401


def test_nrps_lists_the_roster_in_the_membership_container_shape(fresh_platform, tool):
    headers = {**bearer(fresh_platform, tool, [NRPS]), "Accept": MEMBERSHIPS_TYPE}
    response = requests.get(fresh_platform.memberships_url(), headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == MEMBERSHIPS_TYPE
    body = response.json()
    assert body["id"] == fresh_platform.memberships_url()
    assert body["context"] == {
        "id": "docker-101",
        "label": "DOCKER-A",
        "title": "Containerização com Docker — Turma A",
    }
    users = fresh_platform.state()["users"]
    by_sub = {member["user_id"]: member for member in body["members"]}
    assert set(by_sub) == {users[name]["sub"] for name in ("prof", "monitor", "ana", "bruno")}
    bruno = by_sub[users["bruno"]["sub"]]
    assert bruno["roles"] == [LEARNER] and bruno["status"] == "Active" and bruno["name"] == "Bruno Aluno"

    fresh_platform.remove_member("bruno")
    fresh_platform.add_member("carla", name="Carla Aluna")
    members = requests.get(fresh_platform.memberships_url(), headers=headers, timeout=10).json()["members"]
    assert sorted(m["name"] for m in members) == ["Ana Aluna", "Carla Aluna", "Mateus Monitor", "Paula Professora"]

    assert requests.get(fresh_platform.memberships_url(), timeout=10).status_code == 401
    assert requests.get(fresh_platform.memberships_url(), headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    # A token without the NRPS scope: the library answers as for a bad token.
    score_only = {**bearer(fresh_platform, tool, [AGS + "score"]), "Accept": MEMBERSHIPS_TYPE}
    assert requests.get(fresh_platform.memberships_url(), headers=score_only, timeout=10).status_code == 401


def test_deep_linking_places_a_resource_link_with_its_line_item(fresh_platform, tool):
    done = add_lab_by_deep_linking(fresh_platform, tool)
    request = done["request"]
    assert request[f"{CLAIM}message_type"] == "LtiDeepLinkingRequest"
    assert request[f"{CLAIM}roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
    assert request[f"{CLAIM}context"]["title"] == "Containerização com Docker — Turma A"
    assert request[f"{DL}deep_linking_settings"]["accept_types"] == ["ltiResourceLink"]
    [link] = fresh_platform.resource_links()
    [item] = fresh_platform.lineitems()
    assert link["custom"] == {"estaleiro_item": "lab:primeiro-conteiner"} and link["url"] == LAUNCH_URL
    assert item["scoreMaximum"] == 100 and item["resourceLinkId"] == link["id"] and item["id"] == link["line_item_url"]
    # The same response again: its `data` was used up.
    again = requests.post(done["return_url"], data={"JWT": done["reply"]}, timeout=10)
    assert again.status_code == 400 and "data" in again.text
    # A response signed by another key is refused by the library's signature check.
    forged = FakeTool(kid=tool.kid)
    claims = jwt.decode(done["reply"], options={"verify_signature": False})
    refused = requests.post(done["return_url"], data={"JWT": forged.sign(claims)}, timeout=10)
    assert refused.status_code == 400
    assert len(fresh_platform.resource_links()) == 1


def test_resource_link_launch_carries_the_learner_and_the_services(fresh_platform, tool):
    add_lab_by_deep_linking(fresh_platform, tool)
    [link] = fresh_platform.resource_links()
    ana = signed_in(fresh_platform, "ana")
    response, login = launch(fresh_platform, ana, f"{fresh_platform.url}/launch/{link['id']}/?target=iframe")
    assert login["iss"] == fresh_platform.url and login["lti_deployment_id"] == DEPLOYMENT_ID
    assert login["target_link_uri"] == LAUNCH_URL
    action, claims = id_token_of(fresh_platform, response)
    assert action == LAUNCH_URL
    assert claims["sub"] == fresh_platform.sub("ana") and claims[f"{CLAIM}roles"] == [LEARNER]
    assert claims[f"{CLAIM}message_type"] == "LtiResourceLinkRequest"
    assert claims[f"{CLAIM}deployment_id"] == DEPLOYMENT_ID
    assert claims[f"{CLAIM}resource_link"]["id"] == link["id"]
    assert claims[f"{CLAIM}custom"] == {"estaleiro_item": "lab:primeiro-conteiner"}
    assert claims[f"{CLAIM}launch_presentation"]["document_target"] == "iframe"
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitem"] == link["line_item_url"] and ags["lineitems"] == fresh_platform.lineitems_url()
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["context_memberships_url"] == fresh_platform.memberships_url()


@pytest.mark.parametrize(
    "tamper",
    [
        {"redirect_uri": "http://tool.invalid/elsewhere/"},
        {"client_id": "another-client"},
        {"login_hint": "user-of-someone-else"},
        {"nonce": ""},
        {"lti_message_hint": "rl:rl-999:iframe"},
        {"response_type": "code"},
    ],
    ids=lambda tamper: next(iter(tamper)),
)
def test_auth_request_refuses_what_was_not_asked_for(fresh_platform, tool, tamper):
    add_lab_by_deep_linking(fresh_platform, tool)
    [link] = fresh_platform.resource_links()
    ana = signed_in(fresh_platform, "ana")
    response, _ = launch(fresh_platform, ana, f"{fresh_platform.url}/launch/{link['id']}/", **tamper)
    assert response.status_code == 400 and "id_token" not in response.text


def test_auth_request_refuses_a_nonce_seen_before_and_nobody_signed_in(fresh_platform, tool):
    add_lab_by_deep_linking(fresh_platform, tool)
    [link] = fresh_platform.resource_links()
    ana = signed_in(fresh_platform, "ana")
    first, _ = launch(fresh_platform, ana, f"{fresh_platform.url}/launch/{link['id']}/", nonce="n-1")
    assert first.status_code == 200
    replay, _ = launch(fresh_platform, ana, f"{fresh_platform.url}/launch/{link['id']}/", nonce="n-1")
    assert replay.status_code == 400
    assert requests.get(fresh_platform.auth_url, params={"scope": "openid"}, timeout=10).status_code == 401


def test_learners_cannot_add_activities(fresh_platform, tool):
    ana = signed_in(fresh_platform, "ana")
    assert ana.get(fresh_platform.course_url() + "add-activity/", allow_redirects=False).status_code == 403


def test_ags_takes_scores_counts_them_in_order_and_goes_down_on_request(fresh_platform, tool):
    add_lab_by_deep_linking(fresh_platform, tool)
    [item] = fresh_platform.lineitems()
    headers = {**bearer(fresh_platform, tool, [AGS + "score", AGS + "lineitem"]), "Content-Type": SCORE_TYPE}
    score = {
        "userId": fresh_platform.sub("ana"),
        "scoreGiven": 100,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-12-02T12:00:00+00:00",
    }
    assert requests.post(f"{item['id']}/scores", json=score, headers=headers, timeout=10).status_code == 200
    fresh_platform.set_down(1)
    assert requests.post(f"{item['id']}/scores", json=score, headers=headers, timeout=10).status_code == 503
    later = {**score, "scoreGiven": 90, "timestamp": "2026-12-02T12:05:00+00:00"}
    assert requests.post(f"{item['id']}/scores", json=later, headers=headers, timeout=10).status_code == 200
    older = {**score, "timestamp": "2026-12-02T11:00:00+00:00"}
    assert requests.post(f"{item['id']}/scores", json=older, headers=headers, timeout=10).status_code == 409
    stranger = {**score, "userId": "user-nobody"}
    assert requests.post(f"{item['id']}/scores", json=stranger, headers=headers, timeout=10).status_code == 400
    plain_json = {**headers, "Content-Type": "application/json"}
    assert requests.post(f"{item['id']}/scores", json=score, headers=plain_json, timeout=10).status_code == 415
    state = fresh_platform.state()
    assert [(s["username"], s["scoreGiven"]) for s in state["scores"]] == [("ana", 100), ("ana", 90)]
    assert state["ags_refused"] == 1 and all(s["content_type"] == SCORE_TYPE for s in state["scores"])

    listing = requests.get(fresh_platform.lineitems_url(), headers=headers, timeout=10)
    assert [entry["id"] for entry in listing.json()] == [item["id"]]
    created = requests.post(
        fresh_platform.lineitems_url(),
        json={"label": "Extra", "scoreMaximum": 10},
        headers={**headers, "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"},
        timeout=10,
    )
    assert created.status_code == 201 and created.json()["scoreMaximum"] == 10
    fresh_platform.set_down(True)
    assert requests.get(fresh_platform.lineitems_url(), headers=headers, timeout=10).status_code == 503
    assert requests.get(fresh_platform.lineitems_url(), headers=headers, timeout=10).status_code == 503
    fresh_platform.lift()
    assert len(requests.get(fresh_platform.lineitems_url(), headers=headers, timeout=10).json()) == 2
