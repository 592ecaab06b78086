"""scripts/run.sh (`make run`) serves and grades as the unprivileged user `estaleiro`.

The script runs for real in a copy of the project whose set-up, Redis, sandbox daemon, Celery
and gunicorn are stand-ins that record who they run as; the user, the group, the ownership
of var/ and the stop on Ctrl-C are the script's own."""

import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = """#!/bin/sh
echo "$(id -un) $(id -gn) $HOME" > "$ESTALEIRO_VAR_DIR/who-$(basename "$0")-$$"
echo written > "$ESTALEIRO_VAR_DIR/log/$(basename "$0")-$$.log"
exec sleep 120
"""
STUBS = {
    "scripts/setup.sh": "#!/bin/sh\nexit 0\n",
    "scripts/redis.sh": '#!/bin/sh\n[ "$1" = start ] && echo already-running\nexit 0\n',
    # What the real daemon's start sees: is the group there yet?
    "sandbox/start.sh": '#!/bin/sh\ngetent group estaleiro > "$ESTALEIRO_VAR_DIR/group-at-daemon-start"\necho already-running\n',
    "sandbox/stop.sh": "#!/bin/sh\nexit 0\n",
    ".venv/bin/python": "#!/bin/sh\nexit 0\n",
    ".venv/bin/celery": SERVICE,
    ".venv/bin/gunicorn": SERVICE,
    "manage.py": "",
}


@pytest.fixture
def project():
    if os.geteuid() != 0:
        pytest.skip("make run switches users only when started as root")
    # Not under pytest's tmp_path: its parents are 0700 and the service user must read the copy.
    base = Path(tempfile.mkdtemp(prefix="estaleiro-run-"))
    base.chmod(0o755)
    (base / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", base / "scripts" / "run.sh")
    for name, text in STUBS.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    var = base / "var"
    (var / "redis").mkdir(parents=True)
    (var / "db.sqlite3").write_text("")
    (var / "secret_key").write_text("k")
    (var / "secret_key").chmod(0o600)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_make_run_serves_and_grades_as_the_estaleiro_user(project):
    var = project / "var"
    env = {
        **os.environ,
        "ESTALEIRO_VAR_DIR": str(var),
        "BIND": "127.0.0.1:1",
        "SANDBOX_DOCKER_HOST": f"unix://{project}/no-daemon.sock",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("ESTALEIRO_USER", None)
    run = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # Ctrl-C reaches a shell whose SIGINT is at its default: bash cannot trap a signal that
        # was ignored when it started, and a pytest process may have inherited it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(var.glob("who-*"))) < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
        who = {path.name: path.read_text().split() for path in var.glob("who-*")}
        assert len(who) == 3, f"three services expected, saw {sorted(who)}; run.sh said:\n{run.stdout and ''}"
        for name, (user, group, home) in who.items():
            assert (user, group) == ("estaleiro", "estaleiro"), f"{name} runs as {user}:{group}"
            assert home == str(var / "run")
        service_uid = pwd.getpwnam("estaleiro").pw_uid
        assert pwd.getpwnam("estaleiro").pw_shell in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")
        assert service_uid < 1000, "a system user"
        assert (var / "group-at-daemon-start").read_text().startswith("estaleiro:"), (
            "the group must exist before the sandbox daemon starts (it is given the socket then)"
        )
        for name in ("log", "db.sqlite3", "secret_key", "run"):
            assert (var / name).stat().st_uid == service_uid, f"var/{name} is not the service user's"
        assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
        assert (var / "redis").stat().st_uid == 0, "Redis's data stays root's"
        assert var.stat().st_uid == service_uid  # SQLite writes its WAL files beside the database
        assert grp.getgrnam("estaleiro")
        pids = [int(name.rsplit("-", 1)[1]) for name in who]
    finally:
        # Which signals the script ignores and catches, should it not stop (hex masks).
        status = Path(f"/proc/{run.pid}/status")
        dispositions = (
            [line for line in status.read_text().splitlines() if line.startswith("Sig")] if status.exists() else []
        )
        run.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            out, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            out, _ = run.communicate()
            pytest.fail(f"run.sh did not stop on Ctrl-C within 60 s; {dispositions}; it said:\n{out}")
    assert "Stopped" in out, out
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), (
            f"service {pid} outlived Ctrl-C"
        )


def test_a_project_the_user_cannot_read_is_refused_with_a_sentence(project):
    project.chmod(0o700)
    env = {**os.environ, "ESTALEIRO_VAR_DIR": str(project / "var"), "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    env.pop("ESTALEIRO_USER", None)
    done = subprocess.run(["bash", "scripts/run.sh"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "cannot read the project" in done.stderr and "/srv/estaleiro" in done.stderr
