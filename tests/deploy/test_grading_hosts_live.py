"""A grading host added to the live Compose stack and lost under load.

The run's live stack (conftest.py) is up (its watchdog made quick through its `.env`); a
second grading host from deploy/grading-host.yml is prepared as docs/OPERATIONS.md says
(same SECRET_KEY and image, its own sandbox, the main stack's PostgreSQL and Redis) up to
its worker; a burst of submissions from several learners is sent through the published
port; the second host's worker starts while they wait, so verdicts come from both hosts
(should the main host drain the queue before the second, slow to start on a busy machine,
has given a verdict and taken another, the learners whose work is graded send again); then,
while it grades one, its worker and sandbox containers are killed (SIGKILL, no
graceful stop). Every submission must end with exactly one verdict written (none lost,
none graded twice), the one killed mid-grading requeued by the watchdog and graded by the
main host, and the operations page, asked afresh by the teacher, no longer lists the
killed host.

The learners are created with `manage.py shell` in the web container (an operator's
import; signing up ten people through forms is not what is tested here); everything
they and the teacher do goes through the published port.
"""

import time
from datetime import UTC, datetime

import pytest

from .grading_host import join, make_grading_host, prepare_grading_host
from .live_stack import (
    FINAL,
    IN_PROGRESS,
    OUTCOME,
    User,
    demo_accounts,
    send_lab,
    slow_reference,
    submission_id,
    submissions,
)

pytestmark = pytest.mark.docker

# A learner has at most one submission waiting or being graded per lab: one each per wave.
LEARNERS = 10
SPREAD_WITHIN = 600.0
# Waves of the burst at most (each learner sends again once graded) before giving up on
# catching the second host at work.
MAX_WAVES = 4
SETTLED_WITHIN = 600.0
PASSWORD = "burst-Passw0rd-live"
MAKE_LEARNERS = f"""
from django.contrib.auth import get_user_model
from classes.models import Class
from classes.services import DEMO_CLASS_NAME, DEMO_CLASS_TERM, membership_add
klass = Class.objects.get(name=DEMO_CLASS_NAME, term=DEMO_CLASS_TERM)
for i in range({LEARNERS}):
    user, _ = get_user_model().objects.get_or_create(username=f"burst{{i}}")
    user.set_password("{PASSWORD}")
    user.save()
    membership_add(klass=klass, user=user)
print("learners ready")
"""


def sign_in_learners(stack) -> list[User]:
    done = stack.compose("exec", "-T", "web", "python", "manage.py", "shell", "-c", MAKE_LEARNERS)
    assert "learners ready" in done.stdout, done.stdout + done.stderr
    learners = []
    for i in range(LEARNERS):
        learner = User(stack.url)
        learner.log_in(f"burst{i}", PASSWORD)
        learners.append(learner)
    return learners


class Burst:
    """The learners' submissions, in waves: everyone signed in first, then each sends at once,
    as at a class's deadline. A learner sends again only once their last one is graded (one
    waiting or being graded per lab)."""

    def __init__(self, stack, learners: list[User]):
        self.stack, self.learners = stack, learners
        self.sent: list[int] = []
        self.last: dict[int, int] = {}

    def wave(self) -> int:
        rows = submissions(self.stack, self.sent) if self.sent else {}
        ready = [i for i in range(len(self.learners)) if i not in self.last or rows[self.last[i]][0] in FINAL]
        for i in ready:
            path = send_lab(self.learners[i], slow_reference(f"sleep 15 && echo burst-{len(self.sent)}"))
            self.last[i] = submission_id(path)
            self.sent.append(self.last[i])
        return len(ready)


def operations_page(teacher) -> str:
    return teacher.get("/operacoes/?fresh=1").text


@pytest.fixture(scope="module")
def main(live):
    return live


@pytest.fixture(scope="module")
def second(main, tmp_path_factory):
    host = make_grading_host(main, tmp_path_factory.mktemp("grading") / "estaleiro")
    try:
        prepare_grading_host(host)
        yield host
    finally:
        host.timed("grading host: down", "down", "--remove-orphans", check=False, timeout=600)
        print("\ngrading host:", host.compose_version(), host.timings)


@pytest.fixture(scope="module")
def teacher(main):
    user = User(main.url)
    user.log_in(*demo_accounts(main)["teacher"])
    return user


@pytest.fixture(scope="module")
def scenario(main, second, teacher):
    """The burst, the second host joining, then killed while it grades; what was seen."""
    started = time.monotonic()
    # The main worker's log from now on: what it did before the burst is not counted.
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    burst = Burst(main, sign_in_learners(main))
    burst.wave()
    sent = burst.sent
    main.timings["burst sent"] = round(time.monotonic() - started, 1)
    join(second)
    main_node, second_node = main.node(), second.node()
    seen: dict = {"sent": sent, "main": main_node, "second": second_node, "waves": 1}
    deadline = time.monotonic() + SPREAD_WITHIN
    while True:
        rows = submissions(main, sent)
        done_there = [i for i, (status, host, _) in rows.items() if host == second_node and status in FINAL]
        busy_there = [i for i, (status, host, _) in rows.items() if host == second_node and status in IN_PROGRESS]
        if done_there and "page with both" not in seen:
            seen["page with both"] = operations_page(teacher)
            continue
        if done_there and busy_there:
            break
        if time.monotonic() > deadline or seen["waves"] > MAX_WAVES:
            pytest.fail(
                f"the second host was not caught grading while others waited: {rows}\n{second.logs()}\n{main.logs()}"
            )
        if not any(status == "queued" for status, _, _ in rows.values()) and burst.wave():
            # The queue ran dry before the second host (slow to start on a busy machine) had
            # given a verdict and taken another: the learners whose work is graded sent again.
            seen["waves"] += 1
            continue
        time.sleep(0.5)
    killed = second.docker("kill", second.container("worker"), second.container("sandbox"))
    assert killed.returncode == 0, killed.stderr
    main.timings["second host killed after"] = round(time.monotonic() - started, 1)
    after_kill = submissions(main, sent)
    seen["killed mid-grading"] = [
        i for i, (status, host, _) in after_kill.items() if host == second_node and status in IN_PROGRESS
    ]
    seen["graded there before"] = done_there
    deadline = time.monotonic() + SETTLED_WITHIN
    while True:
        rows = submissions(main, sent)
        if all(status in FINAL for status, _, _ in rows.values()):
            break
        assert time.monotonic() < deadline, f"not all graded: {rows}\n{main.logs()}"
        lost = [rows[i] for i in seen["killed mid-grading"]]
        if lost and all(retries for _, _, retries in lost):
            main.timings.setdefault("lost grading requeued after", round(time.monotonic() - started, 1))
        if lost and all(status in FINAL for status, _, _ in lost):
            main.timings.setdefault("lost grading regraded after", round(time.monotonic() - started, 1))
        time.sleep(2)
    main.timings["all graded after"] = round(time.monotonic() - started, 1)
    main.timings.setdefault("lost grading regraded after", main.timings["all graded after"])
    seen["final"] = submissions(main, sent)
    seen["page after"] = operations_page(teacher)
    # The burst's only: the stack's worker graded others before.
    seen["outcomes main"] = OUTCOME.findall(main.container_logs(main.container("worker"), "--since", since))
    seen["outcomes second"] = OUTCOME.findall(second.compose("logs", "--no-color", "worker").stdout)
    seen["second state"] = second.inspect(second.container("worker"), "{{.State.Status}}")
    print("\nburst:", {k: v for k, v in seen.items() if not k.startswith("page")})
    return seen


def test_the_burst_is_graded_by_both_hosts(scenario):
    hosts = {host for _, host, _ in scenario["final"].values()}
    assert scenario["graded there before"], scenario
    assert scenario["main"] in hosts, scenario
    page = scenario["page with both"]
    assert scenario["main"] in page and scenario["second"] in page, page[-3000:]


def test_the_second_host_was_killed_mid_grading_and_stays_down(scenario):
    assert scenario["killed mid-grading"], scenario
    assert scenario["second state"] == "exited", scenario["second state"]


def test_every_submission_ends_with_one_verdict(scenario):
    final = scenario["final"]
    assert sorted(final) == sorted(scenario["sent"]), "submissions lost or added"
    assert all(status in {"passed", "failed"} for status, _, _ in final.values()), final
    # One verdict written per submission, over both hosts' logs: nobody graded one twice.
    verdicts = [o for o in scenario["outcomes main"] + scenario["outcomes second"] if o in FINAL]
    assert len(verdicts) == len(final), (scenario["outcomes main"], scenario["outcomes second"])


def test_the_grading_killed_with_its_host_is_requeued_and_graded_once_by_the_main_host(scenario):
    final = scenario["final"]
    for submission in scenario["killed mid-grading"]:
        status, host, retries = final[submission]
        assert status in FINAL and host == scenario["main"] and retries == 1, (submission, final[submission])
    others = [i for i in final if i not in scenario["killed mid-grading"]]
    assert all(final[i][2] == 0 for i in others), final


def test_the_operations_page_shows_the_host_gone(scenario):
    page = scenario["page after"]
    assert scenario["second"] not in page, page[-3000:]
    assert scenario["main"] in page, page[-3000:]
