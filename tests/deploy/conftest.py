"""One live Compose stack for the whole run (tests/deploy/test_*_live.py, test_live_stack.py):
started on the previous release with a class's data, upgraded to this working tree by the
documented command (upgrade.py), then used by every live test. Each `up` of the stack costs
about a minute here; one stack serves the upgrade, the user's path, the backup and the
grading host alike.

The stack runs under Compose v2 (compose_v2.py; Docker's own packages and Debian 13 have
it), the grading host joining it (test_grading_hosts_live.py) under the machine's own
Compose (Debian 12's v1): both tools start and stop a stack in every run."""

import json

import pytest

from .live_stack import require_engine, running_stack
from .upgrade import PREVIOUS_RELEASE, Upgrade, upgrade_with_work_in_progress

# The watchdog, quick for the tests (the defaults are 60, 90 and 15 s): a run whose
# heartbeat went silent for 20 s on a worker that does not answer is requeued.
QUICK_WATCHDOG = {
    "GRADING_WATCHDOG_SECONDS": "10",
    "GRADING_WORKER_LOST_SECONDS": "20",
    "GRADING_HEARTBEAT_SECONDS": "5",
}


@pytest.fixture(scope="session")
def upgraded(tmp_path_factory):
    """(the stack, now on this working tree; what its upgrade showed)."""
    require_engine()
    directory = tmp_path_factory.mktemp("live") / "estaleiro"
    with running_stack(directory, QUICK_WATCHDOG, PREVIOUS_RELEASE, v2=True) as live:
        seen = upgrade_with_work_in_progress(live, PREVIOUS_RELEASE)
        print("\nupgrade:", json.dumps({"in progress": seen.in_progress, "status": seen.status_at_upgrade,
                                        "final": seen.final, "timings": live.timings}))  # fmt: skip
        yield live, seen


@pytest.fixture(scope="session")
def live(upgraded):
    return upgraded[0]


@pytest.fixture(scope="session")
def upgrade(upgraded) -> Upgrade:
    return upgraded[1]
