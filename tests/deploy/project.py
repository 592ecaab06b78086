"""The deployment files as the tests read them: the Compose file parsed, the build context
as Docker would send it (the `.dockerignore` applied by the grading engine's own reader)."""

import os
from functools import cache
from pathlib import Path

import yaml

from labs.grading.context_rules import is_excluded, parse_dockerignore

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
GRADING_HOST_FILE = ROOT / "deploy" / "grading-host.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
SANDBOX_ENTRYPOINT = ROOT / "deploy" / "sandbox-entrypoint.sh"

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@cache
def compose() -> dict:
    """docker-compose.yml with its anchors and merge keys resolved (PyYAML does both)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


@cache
def grading_host() -> dict:
    return yaml.safe_load(GRADING_HOST_FILE.read_text())


def service(name: str) -> dict:
    return compose()["services"][name]


def copied_paths() -> list[str]:
    """The files of the project that `COPY . .` puts into the image, as relative paths."""
    patterns = parse_dockerignore(DOCKERIGNORE.read_text())
    # An excluded directory can be skipped whole unless a '!' line re-includes something.
    can_prune = all(exclusion for exclusion, _ in patterns)
    paths = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        relative_dir = os.path.relpath(dirpath, ROOT)
        if can_prune:
            dirnames[:] = [
                d for d in dirnames if not is_excluded(os.path.normpath(os.path.join(relative_dir, d)), patterns)
            ]
        for name in filenames:
            path = os.path.normpath(os.path.join(relative_dir, name))
            if not is_excluded(path, patterns):
                paths.append(path)
    return sorted(paths)


def copied_files() -> dict[str, bytes]:
    return {path: (ROOT / path).read_bytes() for path in copied_paths()}


def sent_files() -> dict[str, bytes]:
    """What `docker build .` sends, as a lab receives a submission: the copied files plus the
    Dockerfile and the .dockerignore, which Docker always sends and never copies."""
    return {**copied_files(), "Dockerfile": DOCKERFILE.read_bytes(), ".dockerignore": DOCKERIGNORE.read_bytes()}


def command_of_sandbox() -> list[str]:
    return list(service("sandbox")["command"])
