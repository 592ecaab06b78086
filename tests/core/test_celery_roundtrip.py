import os
import socket

import pytest
from django.urls import reverse

from core.services import worker_ping

pytestmark = [pytest.mark.redis, pytest.mark.worker]


def test_task_round_trip_through_real_redis_and_worker(redis_url, celery_worker_process):
    answer = worker_ping(timeout=30)
    assert answer["hostname"] == socket.gethostname()
    assert answer["pid"] != celery_worker_process.pid  # executed in a pool child, not here
    assert answer["received_at"] >= answer["sent_at"]


@pytest.mark.django_db
def test_operations_page_sends_a_task_the_worker_executes(client, instructor, redis_url, celery_worker_process):
    client.force_login(instructor)
    response = client.post(reverse("operations-ping"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ping-result"' in body
    assert "<html" not in body  # the htmx partial only
    assert f"O worker {socket.gethostname()} respondeu" in body


@pytest.mark.django_db
@pytest.mark.docker
def test_operations_page_shows_the_sandbox_the_grading_worker_reports(
    client, instructor, redis_url, celery_worker_process, sandbox_docker
):
    """The worker answers the broker's question from its own sandbox daemon; the web side
    never connects to the daemon for this page."""
    client.force_login(instructor)
    status = client.get(reverse("operations")).context["status"]
    [host] = [host for host in status.grading_hosts if host.name.startswith(f"pytest-{os.getpid()}@")]
    info = sandbox_docker.info()
    assert host.sandbox.reachable, host.sandbox.error
    assert host.sandbox.version == info["ServerVersion"]
    assert host.sandbox.data_root == info["DockerRootDir"]
    assert host.sandbox.userns
    assert host.sandbox.images == info["Images"]
