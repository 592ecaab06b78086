"""Login, sign-up and password reset are throttled: a clear message and HTTP 429.

Login failures are counted by django-axes per (user name, client address); sign-ups and
reset requests per client address (and reset per e-mail address) in Django's cache, which
is Redis under `make run` and Compose, so every gunicorn worker counts together."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from core.throttle import throttle_allow
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def fail_login(client, username="ana", address="203.0.113.7", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address, **extra
    )


def test_login_locks_after_the_failure_limit_with_a_translated_429(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    for _ in range(2):
        assert fail_login(client).status_code == 200  # the form again, with its usual error
    locked = fail_login(client)
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Muitas tentativas de entrar" in body and '<html lang="pt-br">' in body
    # Even the right password is refused while the lock lasts.
    right = client.post(reverse("login"), {"username": "ana", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert right.status_code == 429
    client.cookies.load({"django_language": "en"})
    assert "Too many login attempts" in fail_login(client).content.decode()


def test_a_lock_is_per_account_and_address_so_a_classroom_is_not_locked_out(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    UserFactory(username="bia")
    for _ in range(3):
        fail_login(client, "ana")
    assert fail_login(client, "ana").status_code == 429
    # Another learner behind the same school address logs in normally.
    ok = client.post(reverse("login"), {"username": "bia", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert ok.status_code == 302


def test_an_administrator_unlocks_from_the_admin(client, settings, django_user_model):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    for _ in range(3):
        fail_login(client)
    attempt = AccessAttempt.objects.get(username="ana")
    admin_user = django_user_model.objects.create_superuser("raiz", "raiz@example.org", "senha-raiz-123")
    client.force_login(admin_user)
    assert "ana" in client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    client.logout()
    ok = client.post(reverse("login"), {"username": "ana", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert ok.status_code == 302


def test_a_forged_forwarded_header_is_ignored_unless_a_proxy_is_declared(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    for n in range(3):  # an attacker rotating X-Forwarded-For is still one address
        fail_login(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert fail_login(client, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_a_declared_proxy_the_forwarded_client_is_counted(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="ana")
    proxy = "10.0.0.2"
    for _ in range(3):
        fail_login(client, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert fail_login(client, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another client behind the same proxy is not locked with the first.
    ok = client.post(
        reverse("login"),
        {"username": "ana", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.2",
    )
    assert ok.status_code == 302


def signup(client, n, address="203.0.113.9"):
    return client.post(
        reverse("signup"),
        {"username": f"farm{n}", "first_name": "F", "password1": "Conteiner-2026!", "password2": "Conteiner-2026!"},
        REMOTE_ADDR=address,
    )


def test_signup_is_throttled_per_address(client, settings, django_user_model):
    settings.SIGNUPS_PER_HOUR = 3
    for n in range(3):
        assert signup(client, n).status_code == 302
        client.logout()
    refused = signup(client, 99)
    assert refused.status_code == 429
    assert "Muitos cadastros" in refused.content.decode()
    assert not django_user_model.objects.filter(username="farm99").exists()
    assert signup(client, 100, address="203.0.113.10").status_code == 302  # another address


def reset(client, email="ana@example.org", address="203.0.113.11"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_is_throttled_per_address_and_per_e_mail(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR = 3
    UserFactory(username="ana", email="ana@example.org")
    for n in range(3):
        assert reset(client, email=f"x{n}@example.org").status_code == 302
    refused = reset(client)
    assert refused.status_code == 429 and "Muitos pedidos" in refused.content.decode()
    # The same e-mail address from many addresses: its owner's inbox is not flooded either.
    mail.outbox.clear()
    answers = [reset(client, address=f"198.51.100.{n}").status_code for n in range(5)]
    assert answers[:3] == [302, 302, 302] and set(answers[3:]) == {429}
    assert len(mail.outbox) == 3


def test_a_cache_outage_does_not_lock_everyone_out(settings, rf):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert all(throttle_allow(scope="t", key="k", limit=1, window=60) for _ in range(3))


@pytest.mark.redis
def test_gunicorn_workers_count_together_in_redis(redis_url, tmp_path):
    """Two processes (as two gunicorn workers) share one count: the cache is Redis, not memory."""
    scope = f"test-{uuid.uuid4().hex}"
    code = (
        "import django; django.setup(); from django.conf import settings; from core.throttle import throttle_allow; "
        f"print(settings.CACHES['default']['BACKEND'], throttle_allow(scope='{scope}', key='k', limit=1, window=60))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ESTALEIRO_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": redis_url,
    }
    env.pop("CACHE_URL", None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout.split()[-2:]
        for _ in range(2)
    ]
    assert runs == [
        ["django.core.cache.backends.redis.RedisCache", "True"],
        ["django.core.cache.backends.redis.RedisCache", "False"],
    ]


def test_demo_login_still_works_through_axes(client):
    UserFactory(username="ana")
    assert client.login(request=HttpRequest(), username="ana", password=PASSWORD)
