"""Running learners' images hardened on the real sandbox daemon, and probing them from inside."""

import time
import uuid

import pytest

from labs.grading.types import Limits, submission_image

from .conftest import PREFIX, SUBMISSION, context

pytestmark = pytest.mark.docker

CGI_ECHO = b"""#!/bin/sh
echo "Content-Type: application/json"
echo ""
body=$(head -c "${CONTENT_LENGTH:-0}")
echo "{\\"method\\": \\"$REQUEST_METHOD\\", \\"token\\": \\"$HTTP_X_TOKEN\\", \\"type\\": \\"$CONTENT_TYPE\\", \\"body\\": $body}"
"""
# The server ignores SIGTERM, as a badly written app would.
SERVER = PREFIX + (
    'COPY www /www\nCOPY etc /etc\nCMD ["/bin/sh", "-c", "trap \'\' TERM; exec httpd -f -p 8080 -h /www"]\n'
)
LIMITS = Limits(run_seconds=60, memory_mb=64, cpus=0.5, pids=32, tmpfs_mb=8)


@pytest.fixture(scope="module")
def server_image(sandbox, sandbox_docker):
    value = f"test-img-{uuid.uuid4().hex[:12]}"
    tag = f"estaleiro-test/server-{value}"
    files = context(
        SERVER,
        **{
            "www/index.html": b"ola do sandbox\n",
            "www/cgi-bin/echo": CGI_ECHO,
            "etc/passwd": b"root:x:0:0:root:/:/bin/sh\nlearner:x:1000:1000::/tmp:/bin/sh\n",
            "etc/group": b"root:x:0:\nlearner:x:1000:\n",
        },
    )
    outcome = sandbox.build(files=files, tag=tag, limits=Limits(build_seconds=30), labels={SUBMISSION: value})
    assert outcome.ok, outcome.log[-1000:]
    yield tag
    sandbox.remove_image(tag)
    assert not sandbox_docker.api.images(all=True, filters={"label": f"{SUBMISSION}={value}"})


@pytest.fixture
def running(sandbox, server_image, labels):
    container = sandbox.start(image=server_image, limits=LIMITS, labels=labels)
    yield container
    container.remove()


def wait_ready(container, port=8080, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = container.http(method="GET", port=port, path="/", body=None, headers={}, timeout=2)
        if answer.status is not None:
            return answer
        time.sleep(0.1)
    raise AssertionError(f"server did not answer: {answer}")


def sh(container, script: str, timeout: float = 10):
    return container.exec(["/bin/sh", "-c", script], timeout=timeout)


def test_container_is_hardened(running, sandbox_docker):
    host = sandbox_docker.api.inspect_container(running.id)["HostConfig"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] and host["Init"]
    assert host["Memory"] == host["MemorySwap"] == 64 * 1024 * 1024
    assert (host["NanoCpus"], host["PidsLimit"]) == (500_000_000, 32)
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["LogConfig"]["Config"]["max-size"] == "1m"
    assert host["Tmpfs"]["/tmp"].startswith("rw,size=8m")

    # Read-only root, writable (and small) /tmp.
    denied = sh(running, "touch /x")
    assert denied.exit_code != 0 and "Read-only file system" in denied.output
    assert sh(running, "echo ok > /tmp/f && cat /tmp/f").output == "ok\n"
    full = sh(running, "dd if=/dev/zero of=/tmp/big bs=1M count=20")
    assert full.exit_code != 0 and "No space left" in full.output

    # No capabilities, no way to gain privileges, no changing uid.
    status = sh(running, "cat /proc/self/status").output
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status
    setuid = running.exec(["su", "-s", "/bin/sh", "learner", "-c", "id"], timeout=5)
    assert setuid.exit_code != 0 and "Operation not permitted" in setuid.output, setuid
    assert "uid=1000" not in setuid.output

    # No network but loopback.
    outside = running.exec(["wget", "-q", "-O", "-", "http://1.1.1.1/"], timeout=5)
    assert outside.exit_code not in (0, None) and "unreachable" in outside.output.lower()
    interfaces = {line.split(":")[0].strip() for line in sh(running, "cat /proc/net/dev").output.splitlines()[2:]}
    assert interfaces == {"lo"}

    # The pids cap stops a process storm.
    storm = sh(running, "for i in $(seq 64); do sleep 5 & done; wait", timeout=10)
    assert "can't fork" in storm.output


def test_exec_timeout_kills_the_command(running):
    started = time.monotonic()
    outcome = running.exec(["sleep", "30"], timeout=1)
    assert outcome.exit_code is None
    assert time.monotonic() - started < 4
    assert "sleep 30" not in sh(running, "ps").output

    done = running.exec(["sh", "-c", "echo out; echo err >&2; exit 4"], timeout=5)
    assert (done.exit_code, sorted(done.output.split())) == (4, ["err", "out"])
    missing = running.exec(["no-such-command"], timeout=5)
    assert missing.exit_code == 127 and "no-such-command" in missing.output


def test_exec_output_is_capped(running):
    started = time.monotonic()
    endless = running.exec(["yes"], timeout=3)
    assert endless.exit_code is None and endless.output.endswith("[...]\n")
    assert 900_000 < len(endless.output) < 1_100_000
    assert time.monotonic() - started < 7
    # A command that prints a lot but ends still reports its exit code.
    big = running.exec(["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; exit 5"], timeout=10)
    assert big.exit_code == 5 and len(big.output) < 1_100_000


def test_http_probe_from_inside(running):
    first = wait_ready(running)
    assert (first.status, first.body) == (200, "ola do sandbox\n")
    missing = running.http(method="GET", port=8080, path="/nope", body=None, headers={}, timeout=3)
    assert missing.status == 404
    posted = running.http(
        method="POST",
        port=8080,
        path="/cgi-bin/echo",
        body='{"x": 1}',
        headers={"X-Token": "abc", "Content-Type": "application/json"},
        timeout=3,
    )
    assert posted.status == 200, posted
    assert posted.body.strip() == '{"method": "POST", "token": "abc", "type": "application/json", "body": {"x": 1}}'
    wrong_port = running.http(method="GET", port=8081, path="/", body=None, headers={}, timeout=3)
    assert wrong_port.status is None and "refused" in wrong_port.error.lower()
    put = running.http(method="PUT", port=8080, path="/", body=None, headers={}, timeout=3)
    assert put.status is None and "PUT" in put.error
    injected = running.http(method="GET", port=8080, path="/", body=None, headers={"X": "a\r\nHost: evil"}, timeout=3)
    assert injected.status is None and "unsafe" in injected.error


def test_read_file(running):
    assert running.read_file("/www/index.html", max_bytes=1000) == b"ola do sandbox\n"
    assert running.read_file("/www/index.html", max_bytes=3) == b"ola"
    assert running.read_file("/www/missing", max_bytes=1000) is None
    assert running.read_file("/www", max_bytes=1000) is None
    # /bin/sh is a symlink to busybox: it is followed.
    assert running.read_file("/bin/sh", max_bytes=4) == b"\x7fELF"
    assert len(running.read_file("/bin/busybox", max_bytes=100_000)) == 100_000
    # Files the app wrote at run time, on the tmpfs, are readable too.
    assert sh(running, "echo gerado > /tmp/out.txt").exit_code == 0
    assert running.read_file("/tmp/out.txt", max_bytes=100) == b"gerado\n"


def test_sigterm_ignoring_process_is_still_removed(running, sandbox_docker):
    wait_ready(running)
    sandbox_docker.api.kill(running.id, "SIGTERM")
    time.sleep(1)
    assert running.is_running(), "the app should ignore SIGTERM"
    started = time.monotonic()
    running.remove()
    assert time.monotonic() - started < 3
    assert not running.is_running()
    assert not sandbox_docker.api.containers(all=True, filters={"id": running.id})


def test_memory_bomb_is_oom_killed(running, sandbox_docker):
    outcome = running.exec(["dd", "if=/dev/zero", "of=/dev/null", "bs=300M", "count=1"], timeout=20)
    assert outcome.exit_code == 137
    # Only the hog died: the container and its server are still there.
    assert running.is_running()
    assert wait_ready(running).status == 200


def test_wall_clock_removes_a_forgotten_container(sandbox, server_image, labels, sandbox_docker):
    container = sandbox.start(image=server_image, limits=Limits(run_seconds=2, memory_mb=64), labels=labels)
    assert container.is_running()
    deadline = time.monotonic() + 10
    while sandbox_docker.api.containers(all=True, filters={"id": container.id}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not sandbox_docker.api.containers(all=True, filters={"id": container.id})
    assert not container.is_running()
    assert container.exec(["true"], timeout=2).exit_code == -1
    assert container.http(method="GET", port=8080, path="/", body=None, headers={}, timeout=2).status is None
    assert container.logs(max_bytes=100) == ""
    container.remove()  # already gone: not an error


def test_image_that_cannot_start_explains_why(sandbox, labels):
    bad_user = PREFIX + 'USER appuser\nCMD ["sleep", "60"]\n'
    bad_cmd = PREFIX + 'CMD ["/app/missing-binary"]\n'
    for dockerfile, reason in ((bad_user, "unable to find user appuser"), (bad_cmd, "/app/missing-binary")):
        tag = f"estaleiro-test/nostart-{uuid.uuid4().hex[:8]}"
        assert sandbox.build(files=context(dockerfile), tag=tag, limits=LIMITS, labels=labels).ok
        try:
            container = sandbox.start(image=tag, limits=LIMITS, labels=labels)
            try:
                deadline = time.monotonic() + 5
                while container.is_running() and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert not container.is_running()
                assert reason in container.logs(max_bytes=2000)
                assert len(container.logs(max_bytes=10)) <= 10
            finally:
                container.remove()
        finally:
            sandbox.remove_image(tag)


def test_janitor_reclaims_an_expired_run_at_once_and_other_leftovers_by_age(
    sandbox, server_image, labels, sandbox_docker
):
    # A dead worker's run container says when it may go: past that moment the janitor takes
    # it at once, whatever the age cut-off; a live run's (expiring later) stays.
    key = f"estaleiro.test-janitor-{labels[SUBMISSION]}"
    expired = sandbox.start(
        image=server_image,
        limits=LIMITS,
        labels={**labels, key: "dead", "estaleiro.expires": str(int(time.time()) - 1)},
    )
    live = sandbox.start(
        image=server_image,
        limits=LIMITS,
        labels={**labels, key: "live", "estaleiro.expires": str(int(time.time()) + 3600)},
    )
    counts = sandbox.janitor(older_than_seconds=3600, label_key=key)
    # At least the expired run: a grading slot another test's worker left may expire now too,
    # and the janitor takes it in the same count. Which ones went is asserted by id.
    assert counts["containers"] >= 1
    assert not sandbox_docker.api.containers(all=True, filters={"id": expired.id})
    assert sandbox_docker.api.containers(all=True, filters={"id": live.id})
    live.remove()
    expired.remove()

    value = labels[SUBMISSION]
    # A crashed worker's container (under its own label key here, so the test touches
    # nothing else) and a stopped build-step container, both older than the cut-off.
    key = f"estaleiro.test-janitor-{value}"
    left = sandbox.start(image=server_image, limits=LIMITS, labels={**labels, key: value})
    image_id = sandbox_docker.api.inspect_image(server_image)["Id"]
    step = sandbox_docker.api.create_container(image_id, command=["true"], network_disabled=True)["Id"]
    young = sandbox.janitor(older_than_seconds=3600, label_key=key)
    assert young["images"] == 0  # containers by id below (an expiring slot may count there)
    for cid in (left.id, step):  # too young to be reclaimed
        assert sandbox_docker.api.containers(all=True, filters={"id": cid})
    time.sleep(2.1)
    counts = sandbox.janitor(older_than_seconds=1, label_key=key)
    assert counts["containers"] >= 1 and counts["build_containers"] >= 1
    for cid in (left.id, step):
        assert not sandbox_docker.api.containers(all=True, filters={"id": cid})
    left.remove()


def test_janitor_goes_by_when_a_submission_image_was_tagged(sandbox, labels, sandbox_docker):
    """A fully cached build tags an old step image: its age is the tag's, not the image's."""
    value = labels[SUBMISSION]
    files = context(PREFIX + 'CMD ["sleep", "60"]\n')
    assert sandbox.build(files=files, tag=f"estaleiro-test/old-{value}", limits=LIMITS, labels={}).ok
    time.sleep(2.1)
    tag = submission_image(value, "t0k3n")
    again = sandbox.build(files=files, tag=tag, limits=LIMITS, labels={})
    try:
        assert again.ok and "Using cache" in again.log
        assert sandbox.janitor(older_than_seconds=2)["images"] == 0, "an image tagged just now was reclaimed"
        assert sandbox_docker.api.images(filters={"reference": tag})
        time.sleep(2.1)
        assert sandbox.janitor(older_than_seconds=2)["images"] == 1
        assert not sandbox_docker.api.images(filters={"reference": tag})
    finally:
        sandbox.remove_image(tag)
        sandbox.remove_image(f"estaleiro-test/old-{value}")
