"""A second grading host (deploy/grading-host.yml) joining the live stack of live_stack.py,
on the same host engine, as docs/OPERATIONS.md ("Adding a grading host") says.

A copy of the project of its own (a clone at the same commit), whose `.env` has the main
stack's SECRET_KEY and image, a COMPOSE_PROJECT_NAME of its own, and the URLs of the main
stack's PostgreSQL and Redis; on one engine its worker reaches them on the main stack's
network (deploy/grading-host-same-engine.yml) rather than through published ports. Its
sandbox is its own dind (deploy/sandbox-unprivileged.yml, as the main stack's here), with
the volumes of a fixed project name, so the labs' bases made in it survive between runs.
"""

import shutil
from pathlib import Path

from .live_stack import IGNORED, Stack, prefill_cache
from .project import ROOT

GRADING_PROJECT = "estaleiro-live-grading"
GRADING_FILES = (
    "-f", "deploy/grading-host.yml",
    "-f", "deploy/sandbox-unprivileged.yml",
    "-f", "deploy/grading-host-same-engine.yml",
    "--project-directory", ".",
)  # fmt: skip
# Taken from the main stack's .env: what must be the same on every host, and the sizes.
SHARED = (
    "ESTALEIRO_IMAGE", "SECRET_KEY", "CELERY_CONCURRENCY", "SANDBOX_DISK_SIZE", "SANDBOX_MEMORY", "SANDBOX_CPUS",
    "GRADING_HEARTBEAT_SECONDS", "GRADING_WORKER_LOST_SECONDS",
)  # fmt: skip


def make_grading_host(main: Stack, directory: Path) -> Stack:
    shutil.copytree(ROOT, directory, ignore=IGNORED, symlinks=True)
    env = main.dot_env()
    postgres, redis = env["POSTGRES_PASSWORD"], env["REDIS_PASSWORD"]
    values = {
        "COMPOSE_PROJECT_NAME": GRADING_PROJECT,
        **{key: env[key] for key in SHARED if key in env},
        "MAIN_STACK_NETWORK": f"{main.project}_default",
        "DATABASE_URL": f"postgres://estaleiro:{postgres}@postgres:5432/estaleiro",
        "CELERY_BROKER_URL": f"redis://:{redis}@redis:6379/0",
        "CELERY_RESULT_BACKEND": f"redis://:{redis}@redis:6379/1",
    }
    (directory / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return Stack(directory=directory, port=0, files=GRADING_FILES, project=GRADING_PROJECT)


def prepare_grading_host(host: Stack) -> None:
    """The documented steps before the worker starts: the sandbox up, the labs' bases made
    in it (from estaleiro-cache, filled from this machine's cache: no network here)."""
    host.compose("down", "--remove-orphans", timeout=600)
    prefill_cache(host, service="worker")
    host.timed("grading host: sandbox up", "up", "-d", "--build", "sandbox")
    host.timed("grading host: prepare_sandbox", "run", "--rm", "worker", "python", "manage.py", "prepare_sandbox")


def join(host: Stack) -> None:
    """The grading host's worker started: from now on it takes gradings from the queue."""
    host.timed("grading host: worker up", "up", "-d")
