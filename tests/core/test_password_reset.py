"""Password reset by e-mail: configured from the environment, and a mail server that is
missing or down gives the learner a clear message (and the log a line), never a 500."""

import logging
import socket

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_smtp(settings):
    """An SMTP backend pointed at a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    return port


def test_reset_sends_the_link_when_mail_works(client):
    UserFactory(username="ana", email="ana@example.org")
    response = client.post(reverse("password_reset"), {"email": "ana@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and "/contas/reset/" in mail.outbox[0].body


def test_a_mail_server_that_is_down_gives_a_clear_message_and_a_log_line(client, dead_smtp, caplog):
    UserFactory(username="ana", email="ana@example.org")
    client.raise_request_exception = True
    with caplog.at_level(logging.ERROR):
        response = client.post(reverse("password_reset"), {"email": "ana@example.org"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "não foi possível enviar o e-mail" in body.lower()
    assert "instrutor" in body.lower()  # who can help instead
    assert any("password reset" in record.getMessage().lower() for record in caplog.records)


def test_an_unknown_address_answers_as_a_known_one_when_mail_is_down(client, dead_smtp):
    """Whether an account exists is not told by the mail server's state either."""
    response = client.post(reverse("password_reset"), {"email": "ninguem@example.org"})
    assert response.status_code == 503


def test_without_a_mail_server_configured_the_page_says_so(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "não está configurada" in body and 'name="email"' not in body
    refused = client.post(reverse("password_reset"), {"email": "ana@example.org"})
    assert refused.status_code == 503


def test_the_login_page_offers_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
