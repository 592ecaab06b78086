"""An upgrade, as docs/OPERATIONS.md says to do it, of a stack in use.

The live stack (conftest.py) started on the previous release (upgrade.PREVIOUS_RELEASE);
the demo learner saved a quiz answer and had a lab graded there; `git pull` and `docker
compose build` while it served; a slow submission sent and caught being graded; `docker
compose up -d`. Checked here: the containers run the new image, `migrate` ran once before
the others started and applied each new migration once, the grading in progress ended with
one verdict (finished by the old worker during its graceful stop, or requeued and graded by
the new one), and every row is still there, the learner still signed in.
"""

from datetime import datetime

import pytest

from .live_stack import FINAL, IN_PROGRESS, OUTCOME
from .upgrade import APPLYING, KEPT

pytestmark = pytest.mark.docker


def instant(stamp: str) -> datetime:
    """Docker's RFC 3339 time (nanoseconds, Z) as a datetime (to the microsecond)."""
    day, _, rest = stamp.partition("T")
    clock = rest.rstrip("Z").split("+")[0]
    whole, _, fraction = clock.partition(".")
    return datetime.fromisoformat(f"{day}T{whole}.{(fraction + '000000')[:6]}+00:00")


def test_the_previous_release_was_in_use_when_upgraded(upgrade):
    assert upgrade.graded["status"] == "passed", upgrade.graded
    assert upgrade.status_at_upgrade in IN_PROGRESS, upgrade.status_at_upgrade
    assert upgrade.images["old"] != upgrade.images["new"], upgrade.images


def test_every_service_of_the_project_runs_the_new_image(upgrade):
    for service in ("web", "worker", "beat"):
        assert upgrade.images[service] == upgrade.images["new"], (service, upgrade.images)


def test_migrate_ran_once_before_the_others_started(upgrade):
    [migrate] = upgrade.migrate_containers
    assert migrate["exit"] == 0 and migrate["image"] == upgrade.images["new"], migrate
    for service, started in upgrade.app_started.items():
        assert instant(started) >= instant(migrate["finished"]), (service, started, migrate)
    for service, log in upgrade.app_logs.items():
        assert not APPLYING.search(log), f"{service} applied migrations:\n{log[-2000:]}"


def test_each_new_migration_is_applied_once(upgrade):
    after = upgrade.migrations_after
    assert len(after) == len(set(after)), "a migration recorded twice"
    assert set(upgrade.migrations_before) <= set(after)
    new = [m for m in after if m not in set(upgrade.migrations_before)]
    assert upgrade.new_migration_files <= set(new), (upgrade.new_migration_files, new)
    applied = APPLYING.findall(upgrade.migrate_log)
    assert sorted(applied) == sorted(new), (applied, new)
    if not new:
        assert "No migrations to apply." in upgrade.migrate_log, upgrade.migrate_log[-2000:]


def test_the_grading_in_progress_ends_with_one_verdict(upgrade):
    status, host, retries = upgrade.final
    assert status == "passed" and upgrade.in_progress_after["status"] == "passed", (
        upgrade.final,
        upgrade.in_progress_after,
    )
    # Finished by the old worker during its graceful stop, or requeued once and graded anew.
    assert (retries == 0 and host == upgrade.old_node) or retries == 1, upgrade.final
    # Both workers' logs hold exactly one verdict per submission: the lab graded before, this one.
    verdicts = [o for o in OUTCOME.findall(upgrade.old_worker_log + upgrade.app_logs["worker"]) if o in FINAL]
    assert len(verdicts) == 2, (verdicts, upgrade.old_worker_log[-3000:])


def test_no_row_is_lost_or_changed(upgrade):
    for table in KEPT:
        before, after = upgrade.before[table], upgrade.after[table]
        assert set(before) <= set(after), (table, sorted(set(before) - set(after)))
        for key, row in before.items():
            if table == "labs_submission" and key == upgrade.in_progress:
                continue  # graded since: its status, score and log changed
            changed = {
                column: (value, after[key].get(column))
                for column, value in row.items()
                if after[key].get(column) != value
            }
            assert not changed, (table, key, changed)


def test_the_learner_is_still_signed_in_and_sees_the_same_work(upgrade):
    assert upgrade.still_signed_in
    assert upgrade.answer_checked_after
    assert upgrade.graded_after == (upgrade.graded["status"], upgrade.graded["score"])
