"""Registering an LMS: the platforms page (site administrators only), the tool configuration it
shows for Moodle and Canvas, LTI Dynamic Registration against a platform served here, and the
tool's keys at set-up."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from lti.models import RegistrationLink
from lti.registration import TOOL_CONFIGURATION, TOOL_SCOPES, registration_link_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("administradora", "admin@example.org", "senha-admin-123")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def platform_data(**overrides) -> dict:
    data = {
        "name": "Moodle da escola",
        "issuer": "https://moodle.escola.example",
        "client_id": "abc123",
        "auth_url": "https://moodle.escola.example/mod/lti/auth.php",
        "token_url": "https://moodle.escola.example/mod/lti/token.php",
        "keyset_url": "https://moodle.escola.example/mod/lti/certs.php",
        "audience": "",
        "deployment_ids": "1\n\n 2 \n1\n",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def make_platform(**overrides) -> LtiRegistration:
    fields = {k: v for k, v in platform_data(**overrides).items() if k not in ("deployment_ids", "is_active")}
    registration = LtiRegistration.objects.create(**fields)
    LtiDeployment.objects.create(registration=registration, deployment_id="1", is_active=True)
    return registration


# --- Who may ------------------------------------------------------------------------


def test_the_platforms_pages_are_the_site_administrators(client, admin):
    registration = make_platform()
    gets = [
        reverse("lti:platforms"),
        reverse("lti:platform-add"),
        reverse("lti:platform", args=[registration.uuid]),
        reverse("lti:platform-edit", args=[registration.uuid]),
    ]
    posts = [
        reverse("lti:platform-add"),
        reverse("lti:platform-edit", args=[registration.uuid]),
        reverse("lti:platform-active", args=[registration.uuid]),
        reverse("lti:registration-link-new"),
    ]
    for url in gets + posts:
        response = client.post(url, platform_data(name="Intrusa")) if url in posts else client.get(url)
        assert response.status_code == 302 and "/contas/login/" in response.url, url
    for user in (UserFactory(username="aprendiz"), UserFactory(username="professora", instructor=True)):
        client.force_login(user)
        for url in gets:
            assert client.get(url).status_code == 403, (user, url)
        for url in posts:
            assert client.post(url, platform_data(name="Intrusa", active="0")).status_code == 403, (user, url)
    assert not RegistrationLink.objects.exists()
    registration.refresh_from_db()
    assert registration.name == "Moodle da escola" and registration.is_active
    client.force_login(admin)
    for url in gets:
        assert client.get(url).status_code == 200, url


def test_only_administrators_see_the_link_to_the_platforms_page(client, admin):
    link = f'href="{reverse("lti:platforms")}"'
    client.force_login(UserFactory(username="professora", instructor=True))
    assert link not in client.get(reverse("operations")).content.decode()
    client.force_login(admin)
    assert link in client.get(reverse("operations")).content.decode()


# --- Registering by hand ---------------------------------------------------------------


def test_an_administrator_registers_a_platform_with_its_deployments(admin_client):
    response = admin_client.post(reverse("lti:platform-add"), platform_data())
    registration = LtiRegistration.objects.get()
    assert response.status_code == 302 and response.url == reverse("lti:platform", args=[registration.uuid])
    assert (registration.issuer, registration.client_id, registration.is_active) == (
        "https://moodle.escola.example",
        "abc123",
        True,
    )
    assert set(registration.deployments.values_list("deployment_id", "is_active")) == {("1", True), ("2", True)}
    listing = admin_client.get(reverse("lti:platforms")).content.decode()
    assert "Moodle da escola" in listing and "abc123" in listing and "https://moodle.escola.example" in listing


def test_the_add_page_shows_the_lms_what_to_paste_before_the_platform_exists(admin_client):
    """Moodle asks for Estaleiro's login URL before it gives the client id the form needs."""
    page = admin_client.get(reverse("lti:platform-add"))
    planned = page.context["form"]["uuid"].value()
    fields = moodle_fields(page)
    assert fields["URL de início de login"] == f"http://testserver/lti/login/{planned}/"
    assert f"http://testserver/lti/login/{planned}/" in json.loads(page.context["canvas_json"])["oidc_initiation_url"]
    data = platform_data(uuid=str(planned))
    assert admin_client.post(reverse("lti:platform-add"), data).status_code == 302
    assert str(LtiRegistration.objects.get().uuid) == str(planned)
    # The same form sent twice makes no second platform.
    again = admin_client.post(reverse("lti:platform-add"), {**data, "client_id": "outro"})
    assert again.status_code == 200 and "já foi salvo" in again.content.decode()
    assert LtiRegistration.objects.count() == 1


def test_editing_the_deployments_switches_off_those_no_longer_listed(admin_client):
    registration = make_platform()
    url = reverse("lti:platform-edit", args=[registration.uuid])
    assert "1" in admin_client.get(url).context["form"].initial["deployment_ids"]
    response = admin_client.post(url, platform_data(deployment_ids="7"))
    assert response.status_code == 302
    assert dict(registration.deployments.values_list("deployment_id", "is_active")) == {"1": False, "7": True}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("auth_url", "http://moodle.escola.example/auth.php", "https://"),
        ("keyset_url", "moodle.escola.example/certs.php", "https://"),
        ("token_url", "ftp://moodle.escola.example/token", "https://"),
        ("issuer", "http://moodle.escola.example", "https://"),
        ("token_url", "https://moodle.escola.example:99999/token", "válido"),
        ("deployment_ids", " \n \n", "Informe ao menos um ID de implantação"),
        ("client_id", "", "Este campo é obrigatório"),
        ("name", "", "Este campo é obrigatório"),
    ],
)
def test_the_form_says_what_is_wrong(admin_client, field, value, message):
    response = admin_client.post(reverse("lti:platform-add"), platform_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in " ".join(errors[field]), errors[field]
    assert message in response.content.decode()
    assert not LtiRegistration.objects.exists()


def test_plain_http_is_accepted_for_a_platform_on_this_machine(admin_client):
    data = platform_data(
        issuer="http://127.0.0.1:8100",
        auth_url="http://localhost:8100/auth",
        token_url="http://[::1]:8100/token",
        keyset_url="http://127.0.0.1:8100/jwks",
    )
    assert admin_client.post(reverse("lti:platform-add"), data).status_code == 302
    assert LtiRegistration.objects.get().token_url == "http://[::1]:8100/token"


def test_issuer_and_client_id_are_unique(admin_client):
    existing = make_platform()
    response = admin_client.post(reverse("lti:platform-add"), platform_data(name="De novo"))
    assert "já registrada" in " ".join(response.context["form"].errors["client_id"])
    assert LtiRegistration.objects.count() == 1
    # Saving the same platform again is no clash with itself.
    response = admin_client.post(reverse("lti:platform-edit", args=[existing.uuid]), platform_data(name="Renomeada"))
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.name == "Renomeada"


def test_an_administrator_switches_a_platform_off_and_on(admin_client):
    registration = make_platform()
    url = reverse("lti:platform-active", args=[registration.uuid])
    assert admin_client.post(url, {"active": "0"}).status_code == 302
    registration.refresh_from_db()
    assert not registration.is_active
    assert "desativada" in admin_client.get(reverse("lti:platforms")).content.decode()
    admin_client.post(url, {"active": "1"})
    registration.refresh_from_db()
    assert registration.is_active


# --- What the LMS is told ----------------------------------------------------------------


def moodle_fields(response) -> dict:
    return {str(label): value for label, value in response.context["moodle"]}


def test_the_moodle_configuration_has_estaleiros_absolute_addresses(admin_client):
    registration = make_platform()
    response = admin_client.get(reverse("lti:platform", args=[registration.uuid]))
    fields = moodle_fields(response)
    launch = "http://testserver/lti/launch/"
    assert fields["URL da ferramenta"] == launch
    assert fields["Versão do LTI"] == "LTI 1.3"
    assert fields["Tipo de chave pública"] == "URL do conjunto de chaves"
    assert fields["Conjunto de chaves públicas"] == "http://testserver/lti/jwks/"
    assert fields["URL de início de login"] == f"http://testserver/lti/login/{registration.uuid}/"
    assert fields["URI(s) de redirecionamento"] == launch
    assert fields["URL de seleção de conteúdo"] == launch
    assert "Deep Linking" in " ".join(fields)
    assert any("Assignment and Grade Services" in label for label in fields)
    assert any("Names and Role Provisioning" in label for label in fields)
    body = response.content.decode()
    assert f"http://testserver/lti/login/{registration.uuid}/" in body
    assert f"http://testserver/lti/plataformas/{registration.uuid}/canvas.json" in body


def test_a_configured_public_address_wins_over_the_requests(admin_client, settings):
    settings.LTI_TOOL_URL = "https://estaleiro.escola.example"
    registration = make_platform()
    fields = moodle_fields(admin_client.get(reverse("lti:platform", args=[registration.uuid])))
    assert fields["URL de início de login"] == f"https://estaleiro.escola.example/lti/login/{registration.uuid}/"
    assert fields["Conjunto de chaves públicas"] == "https://estaleiro.escola.example/lti/jwks/"
    config = json.loads(admin_client.get(reverse("lti:canvas-json", args=[registration.uuid])).content)
    assert config["target_link_uri"] == "https://estaleiro.escola.example/lti/launch/"
    assert config["extensions"][0]["domain"] == "estaleiro.escola.example"


def test_canvas_developer_key_json(client):
    """Canvas's "Enter URL" fetches it from its own server, with no Estaleiro session."""
    registration = make_platform()
    response = client.get(reverse("lti:canvas-json", args=[registration.uuid]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    config = json.loads(response.content)
    assert config["title"] == "Estaleiro"
    assert config["oidc_initiation_url"] == f"http://testserver/lti/login/{registration.uuid}/"
    assert config["target_link_uri"] == "http://testserver/lti/launch/"
    assert config["public_jwk_url"] == "http://testserver/lti/jwks/"
    assert set(config["scopes"]) == set(TOOL_SCOPES)
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    assert "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly" in config["scopes"]
    (extension,) = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com" and extension["domain"] == "testserver"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {"link_selection", "assignment_selection"}
    for placement in placements.values():
        assert placement["message_type"] == "LtiDeepLinkingRequest"
        assert placement["target_link_uri"] == "http://testserver/lti/launch/"
    import uuid

    assert client.get(reverse("lti:canvas-json", args=[uuid.uuid4()])).status_code == 404


# --- Dynamic registration -----------------------------------------------------------------


class FakePlatform:
    """An LMS's side of LTI Dynamic Registration on 127.0.0.1: its OpenID configuration and its
    registration endpoint, which checks the registration token and the tool's request."""

    REGISTRATION_TOKEN = "token-de-registro-do-lms"

    def __init__(self):
        self.requests: list[dict] = []
        self.config_overrides: dict = {}
        self.answer_overrides: dict = {}
        self.config_status = 200
        self.config_body: bytes | None = None
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/.well-known/openid-configuration":
                    return self._send(404, b"{}")
                if platform.config_body is not None:
                    return self._send(platform.config_status, platform.config_body)
                return self._send(platform.config_status, json.dumps(platform.config()).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                platform.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.path != "/register":
                    return self._send(404, b"{}")
                if self.headers.get("Authorization") != f"Bearer {FakePlatform.REGISTRATION_TOKEN}":
                    return self._send(401, b'{"error": "invalid_token"}')
                try:
                    request = json.loads(body)
                except ValueError:
                    return self._send(400, b'{"error": "invalid_client_metadata"}')
                problems = platform.check(request)
                if problems:
                    return self._send(
                        400, json.dumps({"error": "invalid_client_metadata", "problems": problems}).encode()
                    )
                answer = {
                    **request,
                    "client_id": "cliente-42",
                    TOOL_CONFIGURATION: {**request[TOOL_CONFIGURATION], "deployment_id": "7"},
                }
                answer.update(platform.answer_overrides)
                if answer.pop("raw", None):
                    return self._send(200, b"<html>not json</html>", "text/html")
                return self._send(201, json.dumps(answer).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def config(self) -> dict:
        config = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/auth",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "registration_endpoint": f"{self.url}/register",
            "scopes_supported": ["openid", *TOOL_SCOPES],
            "response_types_supported": ["id_token"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "version": "4.3",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
            },
        }
        config.update(self.config_overrides)
        return {k: v for k, v in config.items() if v is not None}

    @staticmethod
    def check(request: dict) -> list[str]:
        """What LTI Dynamic Registration 1.0 (section 3.3) asks of the tool's request."""
        problems = []
        expected = {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
        }
        problems += [f"{key}={request.get(key)!r}" for key, value in expected.items() if request.get(key) != value]
        for key in ("initiate_login_uri", "jwks_uri", "client_name"):
            if not request.get(key):
                problems.append(f"{key} missing")
        if not request.get("redirect_uris"):
            problems.append("redirect_uris missing")
        scopes = set(str(request.get("scope", "")).split())
        if not set(TOOL_SCOPES) <= scopes:
            problems.append(f"scope {scopes}")
        tool = request.get(TOOL_CONFIGURATION) or {}
        for key in ("domain", "target_link_uri", "claims", "messages"):
            if not tool.get(key):
                problems.append(f"tool configuration {key} missing")
        types = {message.get("type") for message in tool.get("messages") or []}
        if types != {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}:
            problems.append(f"messages {types}")
        return problems

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    with FakePlatform() as served:
        yield served


def register_url(token: str, platform: FakePlatform | None, registration_token: str = FakePlatform.REGISTRATION_TOKEN):
    url = reverse("lti:register", args=[token])
    if platform is None:
        return url
    return (
        f"{url}?openid_configuration={platform.url}/.well-known/openid-configuration"
        f"&registration_token={registration_token}"
    )


def test_dynamic_registration_end_to_end(admin_client, client, platform):
    response = admin_client.post(reverse("lti:registration-link-new"))
    assert response.status_code == 302
    link = RegistrationLink.objects.get()
    page = admin_client.get(reverse("lti:platforms")).content.decode()
    assert f"http://testserver/lti/registrar/{link.token}/" in page

    # The LMS's administrator is not logged in to Estaleiro: the link is the authorization.
    client.logout()
    response = client.get(register_url(link.token, platform))
    body = response.content.decode()
    assert response.status_code == 200, body
    registration = LtiRegistration.objects.get()
    assert (registration.issuer, registration.client_id) == (platform.url, "cliente-42")
    assert registration.auth_url == f"{platform.url}/auth"
    assert registration.token_url == f"{platform.url}/token"
    assert registration.keyset_url == f"{platform.url}/jwks"
    assert registration.is_active and registration.name == f"moodle ({urlsplit(platform.url).netloc})"
    assert list(registration.deployments.values_list("deployment_id", "is_active")) == [("7", True)]
    assert "cliente-42" in body and "Estaleiro registrado" in body and "lti-close" in body
    assert response.get("X-Frame-Options") is None  # shown inside the LMS's administration page
    link.refresh_from_db()
    assert link.used_at is not None and link.registration == registration

    (request,) = platform.requests
    sent = json.loads(request["body"])
    assert request["headers"]["Authorization"] == f"Bearer {FakePlatform.REGISTRATION_TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert sent["initiate_login_uri"] == f"http://testserver/lti/login/{registration.uuid}/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    tool = sent[TOOL_CONFIGURATION]
    assert tool["domain"] == "testserver" and tool["target_link_uri"] == "http://testserver/lti/launch/"

    # The link worked once.
    again = client.get(register_url(link.token, platform))
    assert again.status_code == 410 and "já foi usado" in again.content.decode()
    assert LtiRegistration.objects.count() == 1 and len(platform.requests) == 1


def test_the_close_message_script_posts_to_the_lms():
    script = (ROOT / "static" / "js" / "lti-close.js").read_text()
    assert 'subject: "org.imsglobal.lti.close"' in script and "window.parent" in script


def refused(client, url, status: int, text: str):
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == status, body
    assert text in body, body
    assert "Nada foi registrado" in body
    assert not LtiRegistration.objects.exists() and not LtiDeployment.objects.exists()
    return response


def test_unknown_expired_and_revoked_links_are_refused(client, admin_client, platform):
    refused(client, register_url("nao-existe", platform), 404, "não é válido")
    link = registration_link_create(actor=None)
    RegistrationLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(client, register_url(link.token, platform), 410, "expirou")
    fresh = registration_link_create(actor=None)
    admin_client.post(reverse("lti:registration-link-revoke", args=[fresh.pk]))
    assert not RegistrationLink.objects.filter(pk=fresh.pk).exists()
    refused(client, register_url(fresh.token, platform), 404, "não é válido")
    assert platform.requests == []


@pytest.mark.parametrize(
    ("setup", "status", "text"),
    [
        (lambda p: p.config_overrides.update(issuer="https://outro.example"), 400, "emissor"),
        (lambda p: p.config_overrides.update(issuer=p.url.replace("127.0.0.1", "localhost")), 400, "emissor"),
        (lambda p: p.config_overrides.update(registration_endpoint=None), 400, "registration_endpoint"),
        (lambda p: p.config_overrides.update(jwks_uri="http://lms.example/jwks"), 400, "jwks_uri"),
        (lambda p: setattr(p, "config_status", 500), 502, "HTTP 500"),
        (lambda p: setattr(p, "config_body", b"[1, 2]"), 502, "JSON"),
        (lambda p: p.answer_overrides.update(client_id=None), 502, "client id"),
        (lambda p: p.answer_overrides.update({TOOL_CONFIGURATION: {}}), 502, "deployment id"),
        (lambda p: p.answer_overrides.update(raw=True), 502, "JSON"),
    ],
)
def test_a_bad_platform_answer_creates_nothing(client, platform, setup, status, text):
    link = registration_link_create(actor=None)
    setup(platform)
    refused(client, register_url(link.token, platform), status, text)
    link.refresh_from_db()
    assert link.used_at is None and link.registration is None, "a failed registration leaves the link usable"


def test_the_registration_token_is_sent_and_a_refusal_creates_nothing(client, platform):
    link = registration_link_create(actor=None)
    refused(client, register_url(link.token, platform, registration_token="errado"), 502, "HTTP 401")
    assert platform.requests[0]["headers"]["Authorization"] == "Bearer errado"
    # The same link then works.
    assert client.get(register_url(link.token, platform)).status_code == 200
    assert LtiRegistration.objects.get().client_id == "cliente-42"


def test_an_unreachable_platform_creates_nothing(client):
    with FakePlatform() as gone:
        pass  # closed: nothing listens on its port any more
    link = registration_link_create(actor=None)
    refused(client, register_url(link.token, gone), 502, "não conseguiu falar com o AVA")


def test_a_platform_already_registered_is_not_registered_twice(client, platform):
    make_platform(issuer=platform.url, client_id="cliente-42")
    LtiRegistration.objects.update(name="Já existia")
    link = registration_link_create(actor=None)
    response = client.get(register_url(link.token, platform))
    assert response.status_code == 409 and "já está registrado" in response.content.decode()
    assert LtiRegistration.objects.get().name == "Já existia"


def test_without_the_lms_parameters_nothing_is_called(client, platform):
    link = registration_link_create(actor=None)
    refused(client, register_url(link.token, None), 400, "registro dinâmico")
    refused(
        client,
        register_url(link.token, None) + "?openid_configuration=http://lms.example/.well-known/openid-configuration",
        400,
        "não vai chamar",
    )
    assert platform.requests == []


# --- Keys ------------------------------------------------------------------------------


def test_lti_keys_makes_a_key_once():
    assert not Key.objects.exists()
    call_command("lti_keys", verbosity=0)
    (key,) = Key.objects.all()
    call_command("lti_keys", verbosity=0)
    assert list(Key.objects.all()) == [key]
    assert key.as_jwk()["kid"] in [jwk["kid"] for jwk in Key.objects.as_jwks()["keys"]]


def test_lti_keys_rotates_and_retires_replaced_keys_after_the_grace_period(client):
    call_command("lti_keys", verbosity=0)
    old = Key.objects.get()
    call_command("lti_keys", "--rotate", "--retire-after", "7", verbosity=0)
    new = Key.objects.latest()
    assert new != old
    kids = [jwk["kid"] for jwk in json.loads(client.get(reverse("lti:jwks")).content)["keys"]]
    assert set(kids) == {str(old), str(new)}, "the old key stays published while platforms refetch"
    # Eight days on, the replaced key leaves the JWKS at the next set-up; the new one signs.
    Key.objects.filter(pk=old.pk).update(datetime_created=timezone.now() - timedelta(days=40))
    Key.objects.filter(pk=new.pk).update(datetime_created=timezone.now() - timedelta(days=8))
    call_command("lti_keys", verbosity=0)
    kids = [jwk["kid"] for jwk in json.loads(client.get(reverse("lti:jwks")).content)["keys"]]
    assert kids == [str(new)]
    assert Key.objects.count() == 2


def test_set_up_and_the_deployment_make_the_key_after_migrating():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert setup.index("manage.py migrate") < setup.index("manage.py lti_keys")
    (command,) = [
        line for line in (ROOT / "docker-compose.yml").read_text().splitlines() if "migrate --noinput" in line
    ]
    assert command.index("manage.py migrate --noinput") < command.index("manage.py lti_keys")
