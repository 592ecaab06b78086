"""A stack on the previous release, with a class's data and a grading in progress, upgraded
to this working tree by docs/OPERATIONS.md's command ("Upgrading": `git pull`, `docker
compose build`, `docker compose up -d`), and what was seen along the way.

The previous release is the last one whose Compose stack started (before it, the image
lacked `celery[redis]`'s `packaging` and its worker restarted in a loop): move it forward
when a release lands. While IT builds, learners keep working: a learner's quiz answer is
saved and a lab graded on the old release, the new image is built, then a slow submission
is sent and caught being graded when `up -d` replaces the containers.
"""

import re
import subprocess
import time
from dataclasses import dataclass, field

from .live_stack import (
    FINAL,
    IN_PROGRESS,
    Stack,
    User,
    answer_a_question,
    answer_is_checked,
    demo_accounts,
    pull,
    send_lab,
    slow_reference,
    submission_id,
    submissions,
    verdict_on_page,
    wait_for_verdict,
)
from .project import ROOT

PREVIOUS_RELEASE = "3d4eb3018cd6e3c36171680a847fcedd3a22761f"
# The people's data, compared row for row before and after (the columns the rows had
# before: a migration may add some). Not the content (quizzes, labs): `load_content` loads
# the new release's. Not the sessions (a request may touch its own): the learner's browser
# staying signed in checks them.
KEPT = [
    "auth_user",
    "classes_class",
    "classes_membership",
    "quizzes_attempt",
    "quizzes_answer",
    "labs_submission",
]
CAUGHT_WITHIN = 300.0
APPLYING = re.compile(r"^\s*Applying (\w+)\.(\w+)\.\.\.", re.M)


@dataclass
class Upgrade:
    answer: dict[str, str]
    graded: dict[str, str]
    in_progress: int = 0
    status_at_upgrade: str = ""
    old_node: str = ""
    before: dict[str, dict[int, dict]] = field(default_factory=dict)
    after: dict[str, dict[int, dict]] = field(default_factory=dict)
    migrations_before: list[tuple[str, str]] = field(default_factory=list)
    migrations_after: list[tuple[str, str]] = field(default_factory=list)
    new_migration_files: set[tuple[str, str]] = field(default_factory=set)
    migrate_containers: list[dict] = field(default_factory=list)
    migrate_log: str = ""
    app_started: dict[str, str] = field(default_factory=dict)
    app_logs: dict[str, str] = field(default_factory=dict)
    old_worker_log: str = ""
    images: dict[str, str] = field(default_factory=dict)
    final: tuple[str, str, int] = ("", "", 0)
    still_signed_in: bool = False
    answer_checked_after: bool = False
    graded_after: tuple[str, str] | None = None
    in_progress_after: dict[str, str] = field(default_factory=dict)


def migrations(stack: Stack) -> list[tuple[str, str]]:
    return [(app, name) for app, name in stack.sql("select app, name from django_migrations order by id")]


def migration_files(tree: str | None) -> set[tuple[str, str]]:
    """The project's own migrations (app, name): of the commit `tree`, or of this working tree."""
    if tree:
        listed = subprocess.run(
            ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", tree], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    else:
        listed = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/*.py")]
    found = (re.fullmatch(r"(\w+)/migrations/(\d{4}\w*)\.py", path) for path in listed)
    return {(m[1], m[2]) for m in found if m}


def upgrade_with_work_in_progress(stack: Stack, release: str) -> Upgrade:
    """The stack (serving `release`) is used, then upgraded to this working tree."""
    learner = User(stack.url)
    learner.log_in(*demo_accounts(stack)["learner"])
    seen = Upgrade(answer=answer_a_question(learner), graded=wait_for_verdict(stack, learner, send_lab(learner)))
    seen.images["old"] = stack.inspect(stack.container("web"), "{{.Image}}")
    seen.new_migration_files = migration_files(None) - migration_files(release)

    # git pull; docker compose build — the old release serves all along.
    pull(stack)
    stack.timed("upgrade: build", "build")

    path = send_lab(learner, slow_reference("sleep 25 && echo upgrade-in-progress"))
    seen.in_progress = submission_id(path)
    deadline = time.monotonic() + CAUGHT_WITHIN
    while True:
        status, host, _ = submissions(stack, [seen.in_progress])[seen.in_progress]
        if status in IN_PROGRESS:
            break
        assert status not in FINAL and time.monotonic() < deadline, f"not caught in progress: {status}\n{stack.logs()}"
        time.sleep(0.3)
    seen.status_at_upgrade, seen.old_node = status, host
    seen.before = {table: stack.rows(table) for table in KEPT}
    seen.migrations_before = migrations(stack)
    # The old worker's log, followed to its end: its container goes with the upgrade.
    old_worker = stack.container("worker")
    follower = subprocess.Popen(
        ["docker", "logs", "-f", old_worker], env=stack.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )

    # docker compose up -d
    upgrading = time.monotonic()
    stack.timed("upgrade: up", "up", "-d")
    stack.wait_until_served()
    try:
        seen.old_worker_log = follower.communicate(timeout=120)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        follower.kill()
        seen.old_worker_log = follower.communicate()[0].decode(errors="replace")

    seen.in_progress_after = wait_for_verdict(stack, learner, path)
    stack.timings["upgrade: the grading in progress ended, after up began"] = round(time.monotonic() - upgrading, 1)
    seen.after = {table: stack.rows(table) for table in KEPT}
    seen.migrations_after = migrations(stack)
    seen.final = submissions(stack, [seen.in_progress])[seen.in_progress]
    tag = stack.dot_env()["ESTALEIRO_IMAGE"]
    seen.images["new"] = stack.docker("image", "inspect", "--format", "{{.Id}}", tag, check=True).stdout.strip()
    for service in ("web", "worker", "beat"):
        container = stack.container(service)
        seen.images[service] = stack.inspect(container, "{{.Image}}")
        seen.app_started[service] = stack.inspect(container, "{{.State.StartedAt}}")
        seen.app_logs[service] = stack.container_logs(container)
    for container in stack.containers("migrate"):
        state = stack.inspect(container, "{{.State.ExitCode}} {{.State.StartedAt}} {{.State.FinishedAt}} {{.Image}}")
        code, started, finished, image = state.split()
        seen.migrate_containers.append({"exit": int(code), "started": started, "finished": finished, "image": image})
        seen.migrate_log += stack.container_logs(container)
    seen.still_signed_in = 'class="nav-user"' in learner.get("/").text
    seen.answer_checked_after = answer_is_checked(learner, seen.answer)
    seen.graded_after = verdict_on_page(learner, seen.graded["path"])
    return seen
