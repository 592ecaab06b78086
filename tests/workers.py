"""Real `celery worker` processes for tests that start, kill and count workers of their own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_env(conn=connection) -> dict:
    """DATABASE_URL for a child process, pointing at the database the tests use."""
    settings_dict = conn.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return {"DATABASE_URL": f"sqlite:///{settings_dict['NAME']}"}
    return {
        "DATABASE_URL": f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    }


def alive_workers() -> set[str]:
    from labs.worker import alive_workers as ping

    return ping() or set()


class Worker:
    """A real worker in its own process group (so SIGKILL takes its pool too), consuming
    `queues`, with `env` added to the test's environment (another sandbox daemon, say)."""

    def __init__(self, name: str, *, queues: str | None = None, concurrency: int = 1, env: dict | None = None):
        self.name = f"{name}-{os.getpid()}@tests"
        self.log_path = settings.VAR_DIR / f"test-{name}.log"
        self.proc = subprocess.Popen(
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
                str(concurrency),
                "--loglevel",
                "INFO",
                "-n",
                self.name,
                "-Q",
                queues or settings.GRADING_QUEUE,
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **database_env(), **(env or {})},
        )
        deadline = time.monotonic() + 60
        while self.name not in alive_workers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name} did not start; see {self.log_path}:\n{self.log()[-3000:]}")
            time.sleep(0.5)

    def kill_pool_process(self) -> None:
        """SIGKILL the pool process(es) alone, as the kernel's OOM killer would: the worker's
        main process lives on, answers pings and starts a new pool process."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        if not children:
            raise AssertionError(f"worker {self.name} has no pool process")
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
