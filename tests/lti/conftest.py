"""The LTI tests' platform: tests/lti/platform/ run in a process of its own on 127.0.0.1.

`platform_process` (session): the process, reset by each test that uses it.
`lti_platform` (per test, with the live server): the platform configured with the tool's URLs
and the tool's registration of the platform (LtiRegistration, an active LtiDeployment) in the
test database.
"""

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.lti.platform.client import PlatformClient

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "estaleiro-test-client"
DEPLOYMENT_ID = "estaleiro-test-deployment"


@pytest.fixture(scope="session")
def platform_process(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("lti-platform") / "platform.log"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lti.platform.server", "--port", "0", "--verbose"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            text=True,
        )
    assert proc.stdout is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("PLATFORM_URL "):
            pytest.fail(f"the test platform did not start ({line!r}); log:\n{log_path.read_text()[-3000:]}")
        client = PlatformClient(line.split()[1])
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{client.url}/_health", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"the test platform does not answer; log:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
        client.log_path = log_path  # type: ignore[attr-defined]
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fresh_platform(platform_process):
    platform_process.reset()
    return platform_process


@pytest.fixture
def lti_platform(fresh_platform, live_server, transactional_db):
    """The platform registered with the tool at the live server, and the tool's registration of
    the platform (issuer, client id, auth/token/keyset URLs) with its active deployment."""
    from lti_tool.models import Key, LtiDeployment, LtiRegistration

    platform = fresh_platform
    registration = LtiRegistration.objects.create(
        name="Test LMS",
        issuer=platform.url,
        client_id=CLIENT_ID,
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        keyset_url=platform.jwks_url,
    )
    LtiDeployment.objects.create(registration=registration, deployment_id=DEPLOYMENT_ID, is_active=True)
    if not Key.objects.active().exists():
        Key.objects.generate()
    platform.configure_tool(
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        login_url=f"{live_server.url}/lti/login/{registration.uuid}/",
        launch_url=f"{live_server.url}/lti/launch/",
        jwks_url=f"{live_server.url}/lti/jwks/",
    )
    platform.registration = registration
    return platform
