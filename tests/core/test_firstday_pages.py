"""The favicon every page links, and an operations page that does not wait on the workers at
every load."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import selectors

pytestmark = pytest.mark.django_db


def test_the_favicon_is_linked_from_every_page_and_served(client):
    home = client.get(reverse("home")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', home)[1]
    assert "favicon" in href and href.startswith("/static/")
    served = client.get(href)
    assert served.status_code == 200 and b"<svg" in b"".join(served.streaming_content)
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 200 and legacy["Content-Type"] == "image/svg+xml" and b"<svg" in legacy.content
    assert "max-age=86400" in legacy["Cache-Control"]


class FakeRedis:
    def ping(self):
        return True

    def llen(self, name):
        return 0


@pytest.fixture
def asked(monkeypatch):
    """Counts how often the workers are asked through the broker."""
    calls = {"ping": 0, "broadcast": 0}

    def ping(timeout):
        calls["ping"] += 1
        return [{"celery@grader-1": {"ok": "pong"}}]

    def broadcast(*args, **kwargs):
        calls["broadcast"] += 1
        return [{"celery@grader-1": {"queues": ["grading"], "grading": True, "sandbox": {"reachable": True}}}]

    monkeypatch.setattr(selectors.redis.Redis, "from_url", lambda *a, **k: FakeRedis())
    monkeypatch.setattr(selectors.celery_app.control, "ping", ping)
    monkeypatch.setattr(selectors.celery_app.control, "broadcast", broadcast)
    return calls


@pytest.mark.parametrize(
    ("lang", "age_text"),
    [("pt-br", "foram consultados há {n} segundos"), ("en", "were asked {n} seconds ago")],
)
def test_operations_asks_the_workers_once_within_the_cache_window(client, instructor, asked, lang, age_text):
    client.force_login(instructor)
    if lang == "en":
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
    first = client.get(reverse("operations"))
    assert asked == {"ping": 1, "broadcast": 1}
    assert [host.name for host in first.context["status"].grading_hosts] == ["celery@grader-1"]
    # A second load within the window reads the cached answers and says how old they are.
    workers, reports, asked_at = selectors.cache.get(selectors.WORKERS_CACHE_KEY)
    selectors.cache.set(selectors.WORKERS_CACHE_KEY, (workers, reports, asked_at - timedelta(seconds=12)))
    second = client.get(reverse("operations"))
    assert asked == {"ping": 1, "broadcast": 1}
    assert second.context["status"].workers == ["celery@grader-1"]
    body = second.content.decode()
    assert age_text.format(n=12) in body
    assert "grader-1" in body
    # Asking again on purpose goes to the workers.
    client.get(reverse("operations") + "?fresh=1")
    assert asked == {"ping": 2, "broadcast": 2}


def test_the_workers_answers_expire(client, instructor, asked, monkeypatch):
    client.force_login(instructor)
    client.get(reverse("operations"))
    assert selectors.WORKERS_CACHE_SECONDS <= 60
    selectors.cache.delete(selectors.WORKERS_CACHE_KEY)  # what the cache does after the window
    client.get(reverse("operations"))
    assert asked["ping"] == 2
    status = selectors.services_status()
    assert status.workers_asked_at is not None and status.workers_asked_at <= timezone.now()
