import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import translation

from tests.factories import UserFactory
from tests.workers import database_env

# Playwright's sync API runs an event loop in the test thread; Django must still let the
# test thread use the database (it is the live server's thread that serves requests).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
REAL_SERVICE_MARKERS = ("docker", "redis", "browser", "worker", "postgres")
# The fixtures that reach those services: a test using one counts as marked even if its
# module forgot the marker.
REAL_SERVICE_FIXTURES = {
    "redis_url",
    "sandbox_docker",
    "sandbox",
    "celery_worker_process",
    "chromium_path",
    "browser",
    "page",
}
ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a skipped Docker, Redis, worker or browser test is a failure: CI must run it."""
    outcome = yield
    report = outcome.get_result()
    needs_services = any(item.get_closest_marker(m) for m in REAL_SERVICE_MARKERS) or REAL_SERVICE_FIXTURES & set(
        getattr(item, "fixturenames", ())
    )
    if IN_CI and report.skipped and needs_services:
        report.outcome = "failed"
        report.longrepr = f"CI=true: a test needing real services may not skip ({report.longrepr})"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Tests hash with MD5: the site's PBKDF2 takes most of a second per password on a CI
    machine, and nearly every test makes users (UserFactory sets a password) or logs in.
    What the tests check of logins and password changes does not depend on the algorithm.
    Live servers run in this process and check passwords with the same setting; nothing a
    test starts in another process (workers, the LMS platform) checks a test user's password."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def static_files_indexed_once():
    """Each test's client loads the middleware anew, and WhiteNoise's reads the headers of
    every collected static file (some 700, the admin's included) as it starts: most of a
    second per test on a busy CI machine. Its index of a directory is kept for the run and
    reused while the directory's files (names, sizes, times) and the settings WhiteNoise
    reads are the same, so a test's middleware holds what a scan of its own would find."""
    from whitenoise.base import WhiteNoise, scantree

    original = WhiteNoise.update_files_dictionary
    indexes: dict[tuple, dict] = {}

    def update_files_dictionary(self, root, prefix):
        config = [settings.DEBUG, settings.STATIC_URL, settings.FORCE_SCRIPT_NAME, repr(settings.STORAGES)]
        config += [(name, repr(getattr(settings, name))) for name in dir(settings) if name.startswith("WHITENOISE_")]
        files = sorted((path, st.st_size, st.st_mtime_ns, st.st_ino) for path, st in scantree(root))
        key = (type(self), root, prefix, repr(config), tuple(files))
        if key not in indexes:
            before = dict(self.files)
            original(self, root, prefix)
            indexes[key] = {url: entry for url, entry in self.files.items() if before.get(url) is not entry}
        self.files.update(indexes[key])

    WhiteNoise.update_files_dictionary = update_files_dictionary
    yield
    WhiteNoise.update_files_dictionary = original


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test counts its throttles in a cache of its own (the site's is Redis, shared by
    every test run on the machine); tests/core/test_throttling.py checks the Redis one."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language. A request the test client makes in
    English leaves English active in the thread (the locale middleware sets it per request
    and nothing resets it between tests), and a later test's service call would speak it."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def learner(db):
    return UserFactory(username="learner-a")


@pytest.fixture
def other_learner(db):
    return UserFactory(username="learner-b")


@pytest.fixture
def instructor(db):
    return UserFactory(username="instructor", instructor=True)


@pytest.fixture
def redis_url():
    url = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


@pytest.fixture(scope="session")
def sandbox_docker():
    from labs.sandbox.client import SandboxUnavailable, connect

    try:
        client = connect(settings.SANDBOX_DOCKER_HOST, timeout=120)
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    yield client
    client.close()


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup):
    """A real `celery worker` process consuming from the real Redis broker, sharing the test
    database (a file): tests that need it use `transactional_db` so it sees their rows.
    Module-scoped, so tests that start and kill workers of their own meet no stranger."""
    from config.celery import app

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    node = f"pytest-{os.getpid()}@%h"
    log = open(settings.VAR_DIR / "test-worker.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "-n",
            node,
            "-Q",
            f"{settings.GRADING_QUEUE},celery",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **database_env()},
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited with {proc.returncode}; see var/test-worker.log")
            replies = app.control.ping(timeout=0.5) or []
            if any(name.startswith(f"pytest-{os.getpid()}@") for reply in replies for name in reply):
                break
        else:
            pytest.fail("celery worker did not answer a ping within 60 s; see var/test-worker.log")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("ESTALEIRO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip(f"Chromium not found at {path}")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
