"""Isolation by construction, against the real sandbox daemon.

Each grading has a budget the machine enforces (disk, files, processes, memory, CPU, time),
the daemon has no network whatever the gate misreads, a build can name no image but the
lab's bases and its own stages, and a platform fault is decided from what the platform
observed, never from text the learner wrote. Every test here bypasses the gate where the
point is the second line: the daemon side must hold on its own.
"""

import http.server
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from labs.content import LabContent
from labs.grading.spec import parse_spec
from labs.grading_service import grade_files
from labs.sandbox.docker_sandbox import DockerSandbox

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "content" / "labs" / "primeiro-conteiner" / "starter"
REFERENCE = (ROOT / "content" / "labs" / "primeiro-conteiner" / "reference" / "Dockerfile").read_bytes()
APP = "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"
SERVE = 'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]\n'

# A lab like primeiro-conteiner, with small budgets so hostile cases end quickly.
SPEC = """
slug: isolada
title: Isolamento
bases: [python:3.11-slim]
packages: [Flask==3.1.3, gunicorn==23.0.0]
limits: {build_seconds: 40, run_seconds: 30, memory_mb: 256, pids: 64, cpus: 0.5, log_bytes: 200000,
         disk_mb: 300, disk_files: 20000}
checks:
  - {id: build, kind: build, title: Constrói, points: 50, required: true}
  - {id: http-inicio, kind: http, title: Responde, points: 40, required: true, port: 5000, path: /, ready_seconds: 10}
  - {id: sonda, kind: command, title: Sonda, points: 10, argv: [sh, -c, "cat /tmp/sonda 2>/dev/null || echo nada"],
     timeout: 10}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab_dir = tmp_path_factory.mktemp("labs") / "isolada"
    shutil.copytree(STARTER, lab_dir / "starter")
    return LabContent(dir=lab_dir, spec=parse_spec(SPEC), hash="isolada")


def grade(lab, dockerfile: str, **kwargs):
    submission = f"iso-{uuid.uuid4().hex[:10]}"
    return grade_files(
        lab=lab,
        given={"Dockerfile": dockerfile.encode(), ".dockerignore": b".git\n"},
        submission_id=submission,
        **kwargs,
    )


def by_id(report, check_id):
    return next(c for c in report.checks if c.id == check_id)


def in_parallel(*jobs):
    results: list = [None] * len(jobs)
    errors: list = []

    def run(index, job):
        try:
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


HOSTILE_BUILDS = {
    "disk-filler": "FROM python:3.11-slim\nRUN dd if=/dev/zero of=/enche bs=1M count=30000\n",
    "file-flood": (
        "FROM python:3.11-slim\n"
        "RUN python -c \"import os; os.makedirs('/d'); [open('/d/%d' % i, 'w').close() for i in range(200000)]\"\n"
    ),
    "thread-bomb": (
        'FROM python:3.11-slim\nRUN python -c "import threading, time; '
        '[threading.Thread(target=time.sleep, args=(20,)).start() for _ in range(5000)]"\n'
    ),
    "fork-bomb": "FROM python:3.11-slim\nRUN bomba() { bomba | bomba; }; bomba\n",
    "memory-bomb": 'FROM python:3.11-slim\nRUN python -c "b = bytearray(3 * 1024 ** 3)"\n',
    "cpu-spinner": "FROM python:3.11-slim\nRUN while true; do :; done\n",
    # A volume is outside the step's writable layer: its writes must count all the same.
    "volume-filler": "FROM python:3.11-slim\nVOLUME /dados\nRUN dd if=/dev/zero of=/dados/enche bs=1M count=30000\n",
}
EXPECTED_REASON = {
    "disk-filler": "300 MB",
    "volume-filler": "300 MB",
    "file-flood": "20000",
    "cpu-spinner": "40 s",
    "thread-bomb": "64",
    "fork-bomb": "64",
    "memory-bomb": "256 MB",
}


@pytest.fixture(scope="module")
def good_alone(lab, sandbox_docker):
    report = grade(lab, f"FROM python:3.11-slim\n{APP}USER 1000\n{SERVE}").report
    assert report.status == "passed", [(c.id, c.message) for c in report.checks]
    return report


@pytest.mark.parametrize("case", sorted(HOSTILE_BUILDS))
def test_a_hostile_build_beside_a_good_grading_fails_alone(lab, sandbox_docker, good_alone, case):
    """Two gradings at once, one hostile: the hostile one fails as the learner's own failure
    (counted, not a platform error, so never retried) with the limit named; the good one
    passes with the score it has alone."""
    started = threading.Event()

    def hostile():
        started.set()
        return grade(lab, HOSTILE_BUILDS[case]).report

    def good():
        started.wait(10)
        time.sleep(1.0)  # the hostile step is running by now
        return grade(lab, f"FROM python:3.11-slim\n{APP}USER 1000\n{SERVE}").report

    bad, fine = in_parallel(hostile, good)
    assert bad.status == "failed" and bad.gradable, (bad.status, bad.error, bad.summary)
    build = by_id(bad, "build")
    assert build.status == "failed"
    if case in EXPECTED_REASON:
        assert EXPECTED_REASON[case] in build.message, build.message
    assert fine.status == "passed", [(c.id, c.status, c.message) for c in fine.checks]
    assert fine.score == good_alone.score


def test_the_machine_caps_each_grading_not_only_the_sandbox(lab, sandbox_docker):
    """The build's step runs inside the grading's slot: its processes count against the
    grading's pids cap (64 here), and it gets a CPU quota of its own (0.5 core)."""
    dockerfile = (
        "FROM python:3.11-slim\n"
        "RUN cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us; "
        "n=0; while [ $n -lt 100 ]; do sleep 5 & n=$((n+1)); done; echo started-$n\n"
    )
    result = grade(lab, dockerfile)
    assert "50000\n100000\n" in result.log
    assert "cannot fork" in result.log.lower() or "can't fork" in result.log, result.log[-800:]
    assert "started-100" not in result.log


def test_text_the_learner_controls_never_makes_a_platform_fault(lab, sandbox_docker):
    for dockerfile in [
        'FROM python:3.11-slim\nRUN echo "no space left on device"; false\n',
        'FROM python:3.11-slim\nRUN echo "failed to register layer: input/output error" >&2; exit 1\n',
        'FROM python:3.11-slim\nCOPY ["no space left on device", "/x"]\n',
    ]:
        report = grade(lab, dockerfile).report
        assert report.status == "failed" and report.gradable, (dockerfile, report.status, report.error)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # the standard library's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"segredo-do-host")

    def log_message(self, *args):
        pass


@pytest.fixture
def host_server():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def sandbox_for(lab):
    box = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    box.begin(
        limits=lab.spec.limits, labels={"estaleiro.submission": f"iso-{uuid.uuid4().hex[:8]}"}, bases=lab.spec.bases
    )
    return box


def test_the_daemon_fetches_nothing_even_when_the_gate_is_bypassed(lab, sandbox_docker, host_server):
    """Straight to the daemon, no gate: URLs in ADD (through a variable, in quotes, JSON) fail
    inside the sandbox daemon's own network namespace, and nothing reaches the host."""
    box = sandbox_for(lab)
    try:
        for dockerfile in [
            f"FROM python:3.11-slim\nARG U={host_server}/a\nADD $U /m\nRUN cat /m\n",
            f'FROM python:3.11-slim\nADD "{host_server}/b" /m\nRUN cat /m\n',
            f'FROM python:3.11-slim\nADD ["{host_server}/c", "/m"]\nRUN cat /m\n',
            "FROM python:3.11-slim\nADD http://169.254.169.254/latest/meta-data/ /m\nRUN cat /m\n",
        ]:
            tag = f"estaleiro-test/fetch-{uuid.uuid4().hex[:8]}"
            outcome = box.build(files={"Dockerfile": dockerfile.encode()}, tag=tag, limits=lab.spec.limits, labels={})
            assert not outcome.ok and not outcome.platform_fault, outcome.log[-500:]
            assert "segredo-do-host" not in outcome.log
            box.discard_build(outcome)
    finally:
        box.close()
    assert _Recorder.hits == []


def test_the_sandbox_daemon_has_only_loopback():
    pidfile = Path("/run/estaleiro/docker.pid")
    if not settings.SANDBOX_DOCKER_HOST.startswith("unix:///run/estaleiro/") or not pidfile.exists():
        pytest.fail("this test reads the local sandbox daemon started by sandbox/start.sh")
    pid = pidfile.read_text().strip()
    interfaces = {line.split(":")[0].strip() for line in Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]}
    assert interfaces == {"lo"}
    routes = Path(f"/proc/{pid}/net/route").read_text().splitlines()[1:]
    assert routes == []
    # Not the host's namespace, where this test runs.
    assert Path(f"/proc/{pid}/ns/net").readlink() != Path("/proc/self/ns/net").readlink()


def test_no_build_can_name_another_gradings_image(lab, sandbox_docker):
    """While learner A's grading runs, B's build names A's image (by its tag, by a prefix of
    its ID, or with COPY --from): the daemon-side guard stops B before B's log shows any of
    A's files, B is rejected, and nothing of B's build stays."""
    token = uuid.uuid4().hex
    secret = f"segredo-de-a-{uuid.uuid4().hex[:8]}"
    a_dockerfile = (
        f'FROM python:3.11-slim\nRUN echo {secret} > /segredo\nCMD ["python", "-c", "import time; time.sleep(25)"]\n'
    )
    seen: dict = {}

    def learner_a():
        return grade(lab, a_dockerfile, run_token=token)

    def learner_b():
        deadline = time.monotonic() + 60
        tag = None
        while time.monotonic() < deadline and tag is None:
            tag = next(
                (
                    t
                    for image in sandbox_docker.api.images(filters={"reference": "estaleiro-sub/*"})
                    for t in image.get("RepoTags") or []
                    if token in t
                ),
                None,
            )
            time.sleep(0.2)
        assert tag, "A's image never appeared"
        image_id = sandbox_docker.api.inspect_image(tag)["Id"].removeprefix("sha256:")
        box = sandbox_for(lab)
        try:
            for name, dockerfile in {
                "from-tag": f"FROM {tag}\nRUN cat /segredo\n",
                "from-id-prefix": f"FROM {image_id[:10]}\nRUN cat /segredo\n",
                "copy-from-tag": f"FROM python:3.11-slim\nCOPY --from={tag} /segredo /s\nRUN cat /s\n",
                "hidden-stage": f"FROM python:3.11-slim AS ok\nRUN echo x \\\u00a0\nFROM {tag}\nRUN cat /segredo\n",
            }.items():
                outcome = box.build(
                    files={"Dockerfile": dockerfile.encode()},
                    tag=f"estaleiro-test/b-{name}",
                    limits=lab.spec.limits,
                    labels={},
                )
                seen[name] = outcome
                box.discard_build(outcome)
        finally:
            box.close()

    a, _ = in_parallel(learner_a, learner_b)
    assert a.report.status == "failed"  # A's app serves nothing; what matters is B
    for name, outcome in seen.items():
        assert not outcome.ok and outcome.rejected, (name, outcome.error_id, outcome.log[-400:])
        assert outcome.error_id == "sandbox.build_image_not_allowed"
        assert secret not in outcome.log, name
        for short in outcome.created_images:
            assert not sandbox_docker.api.images(all=True, filters={"reference": short}), name


def test_a_volume_is_a_small_tmpfs_not_the_sandbox_disk(lab, sandbox_docker):
    volumes_before = len(sandbox_docker.api.volumes().get("Volumes") or [])
    dockerfile = (
        f"FROM python:3.11-slim\n{APP}VOLUME /dados\nUSER 1000\n"
        'CMD ["sh", "-c", "dd if=/dev/zero of=/dados/f bs=1M count=200 2>/tmp/sonda; '
        'df -k /dados >> /tmp/sonda; exec gunicorn --bind 0.0.0.0:5000 app:app"]\n'
    )
    report = grade(lab, dockerfile).report
    probe = by_id(report, "sonda").output
    assert "No space left on device" in probe and "tmpfs" in probe, probe
    assert len(sandbox_docker.api.volumes().get("Volumes") or []) == volumes_before


IO_URING = (
    'python -c "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); '
    "r = libc.syscall(425, 1, 0); print('io_uring_setup', r, os.strerror(ctypes.get_errno()))\""
)


def test_io_uring_is_refused_in_builds_and_runs(lab, sandbox_docker):
    nonce = uuid.uuid4().hex[:8]  # a step of its own, never served from the build cache
    dockerfile = (
        f"FROM python:3.11-slim\nRUN echo {nonce} && {IO_URING}\n{APP}USER 1000\n"
        f'CMD ["sh", "-c", "{IO_URING.replace(chr(34), chr(92) + chr(34))} > /tmp/sonda; '
        'exec gunicorn --bind 0.0.0.0:5000 app:app"]\n'
    )
    result = grade(lab, dockerfile)
    assert "io_uring_setup -1 Operation not permitted" in result.log, result.log[-600:]
    assert "io_uring_setup -1 Operation not permitted" in by_id(result.report, "sonda").output


def test_a_failed_build_leaves_none_of_its_layers(lab, sandbox_docker):
    nonce = uuid.uuid4().hex[:12]
    result = grade(lab, f"FROM python:3.11-slim\nRUN echo {nonce} > /a\nRUN echo {nonce} > /b\nRUN false\n")
    assert result.report.status == "failed"
    leftover = [
        image["Id"]
        for image in sandbox_docker.api.images(all=True)
        if nonce in " ".join(sandbox_docker.api.inspect_image(image["Id"]).get("ContainerConfig", {}).get("Cmd") or [])
    ]
    assert leftover == []


def test_a_build_outside_a_grading_still_gets_a_slot_of_its_own(lab, sandbox_docker):
    """A build made straight through the sandbox (a command, a test) never runs without its
    own caps: a fork bomb there holds at most the build's pids, not the whole daemon's."""
    box = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    try:
        outcome = box.build(
            files={
                "Dockerfile": b"FROM python:3.11-slim\nRUN n=0; while [ $n -lt 300 ]; do "
                b"sleep 5 & n=$((n+1)); done; echo started-$n\n"
            },
            tag=f"estaleiro-test/alone-{uuid.uuid4().hex[:8]}",
            limits=lab.spec.limits,
            labels={},
        )
        assert not outcome.ok and "started-300" not in outcome.log
        assert outcome.error_id == "sandbox.build_pids_limit", (outcome.error_id, outcome.log[-300:])
        box.discard_build(outcome)
    finally:
        box.close()
