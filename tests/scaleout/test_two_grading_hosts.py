"""Scale-out on real components: PostgreSQL as the database, one Redis, and two grading
hosts, each a Celery worker with a sandbox Docker daemon of its own (two daemons with their
own sockets and data-roots on this machine stand in for two machines).

Runs in the second pass of `make test`, with DATABASE_URL pointing at the PostgreSQL server
scripts/test.sh starts, and the second daemon (`sandbox/start.sh estaleiro-b`)."""

import collections
import os
import re
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from labs.models import Submission
from labs.sandbox.client import SandboxUnavailable, connect
from labs.sandbox.docker_sandbox import SUBMISSION_LABEL
from tests.factories import UserFactory, default_class, lab_from_content
from tests.labs.test_submission_integration import _upload
from tests.labs.test_submission_services import DOCKERIGNORE, REFERENCE
from tests.workers import Worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.docker,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

SECOND_SANDBOX = os.environ.get("ESTALEIRO_SECOND_SANDBOX_HOST", "unix:///run/estaleiro-b/docker.sock")
SUBMISSIONS = 20


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the scale-out test runs on PostgreSQL: make test runs it in its second pass")


@pytest.fixture
def two_daemons(sandbox_docker):
    try:
        second = connect(SECOND_SANDBOX, timeout=120)
    except SandboxUnavailable as exc:
        pytest.skip(f"second sandbox daemon: {exc} (sudo sandbox/start.sh estaleiro-b)")
    # The engine ID comes from /etc/docker/key.json, which both share here; the data-root does not.
    assert sandbox_docker.info()["DockerRootDir"] != second.info()["DockerRootDir"], "both URLs reach one daemon"
    yield {settings.SANDBOX_DOCKER_HOST: sandbox_docker, SECOND_SANDBOX: second}
    second.close()


class CreatedContainers:
    """Submissions whose containers a daemon created, read off its event stream while the
    test runs (the daemon keeps only its last 256 events for a later query, fewer than 20
    gradings make)."""

    def __init__(self, client):
        self.client = client
        self.seen: set[int] = set()
        self._stream = client.api.events(
            decode=True, filters={"type": "container", "event": "create", "label": SUBMISSION_LABEL}
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self._stream:
                self.seen.add(int(event["Actor"]["Attributes"][SUBMISSION_LABEL].removeprefix("sub-")))
        except Exception:  # noqa: BLE001 - the stream was closed by stop()
            pass

    def stop(self) -> set[int]:
        time.sleep(1)  # the last events on their way
        self._stream.close()
        self._thread.join(timeout=10)
        return self.seen


def test_two_grading_hosts_share_one_queue_and_each_grades_with_its_own_daemon(
    on_postgres, two_daemons, redis_url, client
):
    lab = lab_from_content("primeiro-conteiner")
    created = {url: CreatedContainers(client) for url, client in two_daemons.items()}
    workers = {
        url: Worker(f"host-{letter}", env={"SANDBOX_DOCKER_HOST": url})
        for letter, url in zip("ab", two_daemons, strict=False)
    }
    try:
        for number in range(SUBMISSIONS):
            client.force_login(UserFactory(username=f"turma-{number:02d}"))
            response = client.post(
                reverse("labs:submit", args=[default_class().pk, lab.slug]),
                {"dockerfile": REFERENCE, "files": _upload(".dockerignore", DOCKERIGNORE)},
            )
            assert response.status_code == 302, response.content.decode()[:500]
        deadline = time.monotonic() + 900
        while Submission.objects.filter(status__in=Submission.ACTIVE).exists():
            assert time.monotonic() < deadline, "gradings still running after 15 minutes"
            time.sleep(1)
        logs = {url: worker.log() for url, worker in workers.items()}
        # The operations page shows each host with the daemon it reported itself.
        client.force_login(UserFactory(username="professora", instructor=True))
        status = client.get(reverse("operations")).context["status"]
        reported = {host.name: host for host in status.grading_hosts}
    finally:
        for worker in workers.values():
            worker.stop()
        seen = {url: recorder.stop() for url, recorder in created.items()}

    submissions = list(Submission.objects.all())
    assert len(submissions) == SUBMISSIONS
    assert collections.Counter(s.status for s in submissions) == {"passed": SUBMISSIONS}, [
        (s.pk, s.status, s.error_detail) for s in submissions if s.status != "passed"
    ]
    assert all(s.counted and s.score == 100 and s.retries == 0 for s in submissions)

    by_host = collections.defaultdict(set)
    for submission in submissions:
        by_host[submission.worker_host].add(submission.pk)
    assert set(by_host) == {worker.name for worker in workers.values()}, "each host graded some"

    for url, worker in workers.items():
        mine = by_host[worker.name]
        # Exactly one verdict: each worker's log has one success per submission it recorded,
        # and no claim was lost to the other host (the conditional update took each once).
        verdicts = re.findall(r"labs\.grade_submission\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", logs[url])
        assert collections.Counter(verdicts) == {"passed": len(mine)}, logs[url][-3000:]
        # The host that recorded a grading is the one whose daemon ran it.
        assert seen[url] == mine, url

    for url, worker in workers.items():
        host = reported[worker.name]
        assert host.sandbox.reachable, host.sandbox.error
        assert host.sandbox.data_root == two_daemons[url].info()["DockerRootDir"]
        assert host.graded_last_day == len(by_host[worker.name])
