"""The sandbox janitor's turns, without a daemon: a sandbox that records what it was asked."""

import subprocess
import sys
from pathlib import Path

from labs.sandbox.client import SandboxUnavailable
from labs.sandbox.janitor import SandboxJanitor

ROOT = Path(__file__).resolve().parents[3]


class RecordingSandbox:
    def __init__(self, calls: list, *, unreachable: bool = False):
        self.calls, self.unreachable = calls, unreachable

    def janitor(self, *, older_than_seconds: int) -> dict:
        if self.unreachable:
            raise SandboxUnavailable("sandbox daemon at unix:///nowhere unreachable")
        self.calls.append(("janitor", older_than_seconds))
        return {"containers": 1, "images": 2}

    def trim_build_cache(self, *, max_bytes: int) -> dict:
        self.calls.append(("trim", max_bytes))
        return {"removed": 0}

    def close(self) -> None:
        self.calls.append(("close",))


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_turn_per_period_unless_forced_and_a_sandbox_only_for_a_turn():
    calls: list = []
    opened: list = []
    clock = Clock()
    janitor = SandboxJanitor(min_age_seconds=1620, every_seconds=300, clock=clock)

    def open_sandbox():
        opened.append(clock.now)
        return RecordingSandbox(calls)

    counts = janitor.run(open_sandbox, build_cache_bytes=7 * 1024 * 1024)
    assert counts == {"containers": 1, "images": 2, "build_cache": {"removed": 0}}
    assert calls == [("janitor", 1620), ("trim", 7 * 1024 * 1024), ("close",)]
    clock.now += 299
    assert janitor.run(open_sandbox, build_cache_bytes=1) is None
    assert opened == [1000.0], "a sandbox was opened outside the janitor's turn"
    assert janitor.run(open_sandbox, build_cache_bytes=1, force=True) is not None
    clock.now += 299  # the forced run counts as the period's turn
    assert janitor.run(open_sandbox, build_cache_bytes=1) is None
    clock.now += 1
    assert janitor.run(open_sandbox, build_cache_bytes=1) is not None
    assert len(opened) == 3


def test_a_daemon_that_does_not_answer_skips_the_turn_and_the_sandbox_is_closed(caplog):
    calls: list = []
    clock = Clock()
    janitor = SandboxJanitor(min_age_seconds=60, every_seconds=300, clock=clock)
    assert janitor.run(lambda: RecordingSandbox(calls, unreachable=True), build_cache_bytes=1) is None
    assert calls == [("close",)]
    assert "sandbox janitor skipped: sandbox daemon at unix:///nowhere unreachable" in caplog.text
    # The turn was taken: a daemon that is down is not asked again before the period ends.
    assert janitor.run(lambda: RecordingSandbox(calls), build_cache_bytes=1) is None


def test_each_janitor_keeps_its_own_turns():
    calls: list = []
    first, second = (SandboxJanitor(min_age_seconds=60, every_seconds=300) for _ in range(2))
    assert first.run(lambda: RecordingSandbox(calls), build_cache_bytes=1) is not None
    assert second.run(lambda: RecordingSandbox(calls), build_cache_bytes=1) is not None
    assert first.run(lambda: RecordingSandbox(calls), build_cache_bytes=1) is None


def test_the_janitor_reads_no_settings():
    code = (
        "import sys\n"
        "import labs.sandbox.janitor\n"
        "leaks = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'config'))\n"
        "assert not leaks, leaks\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
