"""Builds on the real sandbox daemon: log streaming, failures, and every way a RUN can
misbehave (flood, endless loop, fork bomb, memory) ending in a verdict with no leftovers."""

import re
import time

import pytest

from labs.grading.i18n import known, t
from labs.grading.types import Limits

from .conftest import PREFIX, containers_mentioning, context, drop_layers, nonce_layers

pytestmark = pytest.mark.docker

FAST = Limits(build_seconds=20, memory_mb=128, log_bytes=200_000)


def step_containers(log: str) -> list[str]:
    return re.findall(r"^ ---> Running in ([0-9a-f]{12})", log, re.MULTILINE)


def assert_gone(client, outcome, nonce: str) -> None:
    ids = step_containers(outcome.log)
    for cid in ids:
        assert not client.api.containers(all=True, filters={"id": cid}), f"step container {cid} remains"
    assert not containers_mentioning(client, nonce)


def assert_message(outcome, message_id: str) -> None:
    assert outcome.error_id == message_id, (outcome.error_id, outcome.error_params, outcome.log[-500:])
    assert known(outcome.error_id)
    assert t(outcome.error_id, "en", **outcome.error_params)


def test_build_succeeds_streams_log_and_keeps_cache(sandbox, sandbox_docker, labels, nonce):
    dockerfile = PREFIX + (
        f"RUN echo built-{nonce}\n"
        "WORKDIR /app\nENV GREETING=ola MODE=a=b\nEXPOSE 8080\nUSER 1000:1000\n"
        'HEALTHCHECK CMD ["/bin/busybox", "true"]\nLABEL course=docker\n'
        'CMD ["/bin/busybox", "sleep", "60"]\n'
    )
    chunks: list[str] = []
    tag = f"estaleiro-test/build-{nonce}:latest"
    outcome = sandbox.build(files=context(dockerfile), tag=tag, limits=FAST, labels=labels, on_log=chunks.append)
    try:
        assert outcome.ok, outcome
        assert outcome.image_id.startswith("sha256:")
        assert f"built-{nonce}" in outcome.log
        assert "".join(chunks) == outcome.log and len(chunks) > 10
        assert not outcome.error_id and not outcome.platform_fault and 0 < outcome.seconds < 15

        facts = sandbox.image_facts(tag, base="scratch")
        assert facts.id == outcome.image_id
        assert (facts.user, facts.workdir, facts.exposed_ports) == ("1000:1000", "/app", ["8080/tcp"])
        assert facts.env["GREETING"] == "ola" and facts.env["MODE"] == "a=b"
        assert facts.cmd == ["/bin/busybox", "sleep", "60"] and facts.entrypoint is None
        assert facts.healthcheck == ["CMD", "/bin/busybox", "true"]
        assert (
            facts.labels["course"] == "docker"
            and facts.labels["estaleiro.submission"] == labels["estaleiro.submission"]
        )
        assert facts.size_bytes > 1_000_000 and facts.base_size_bytes == 0
        layers = nonce_layers(sandbox_docker, tag, nonce)
    finally:
        sandbox.remove_image(tag)
    # The learner's steps stay (noprune): they are the cache, and the same build hits it
    # for every one of them. Only the per-submission LABEL steps are gone.
    again = sandbox.build(files=context(dockerfile), tag=tag, limits=FAST, labels=labels)
    try:
        assert again.ok
        assert f"\nbuilt-{nonce}\n" not in again.log
        assert again.log.count("Using cache") == 10, again.log
    finally:
        sandbox.remove_image(tag)
    sandbox.remove_image(tag)  # removing twice is not an error
    drop_layers(sandbox_docker, layers)


def test_failing_run_reports_its_step(sandbox, sandbox_docker, labels, nonce):
    dockerfile = PREFIX + f'RUN echo about-to-fail-{nonce} && exit 3\nCMD ["true"]\n'
    outcome = sandbox.build(files=context(dockerfile), tag=f"estaleiro-test/fail-{nonce}", limits=FAST, labels=labels)
    assert not outcome.ok and not outcome.platform_fault
    assert_message(outcome, "sandbox.build_command_failed")
    assert outcome.error_params == {"code": 3}
    # The build's two labels become two more LABEL steps at the end: 5 + 2.
    assert outcome.failing_step == f"Step 4/7 : RUN echo about-to-fail-{nonce} && exit 3"
    assert f"about-to-fail-{nonce}" in outcome.log
    assert_gone(sandbox_docker, outcome, nonce)


def test_log_flood_is_cut_at_the_cap(sandbox, sandbox_docker, labels, nonce):
    limits = Limits(build_seconds=20, memory_mb=128, log_bytes=50_000)
    dockerfile = PREFIX + f"RUN echo {nonce}; while true; do echo {'x' * 70}; done\n"
    received: list[str] = []
    outcome = sandbox.build(
        files=context(dockerfile),
        tag=f"estaleiro-test/flood-{nonce}",
        limits=limits,
        labels=labels,
        on_log=received.append,
    )
    assert not outcome.ok and outcome.log_truncated and not outcome.platform_fault
    assert_message(outcome, "sandbox.build_log_limit")
    assert len(outcome.log.encode()) <= 50_000 and "".join(received) == outcome.log
    assert outcome.failing_step.startswith("Step 4/6 : RUN echo")
    assert outcome.seconds < 10
    assert_gone(sandbox_docker, outcome, nonce)


def test_endless_run_is_stopped_by_the_wall_clock(sandbox, sandbox_docker, labels, nonce):
    limits = Limits(build_seconds=4, memory_mb=128)
    dockerfile = PREFIX + f"RUN echo {nonce}; while true; do :; done\n"
    started = time.monotonic()
    outcome = sandbox.build(files=context(dockerfile), tag=f"estaleiro-test/loop-{nonce}", limits=limits, labels=labels)
    assert not outcome.ok and not outcome.platform_fault
    assert_message(outcome, "sandbox.build_timeout")
    assert outcome.error_params == {"seconds": 4}
    assert outcome.failing_step.startswith("Step 4/6 : RUN echo")
    assert 4 <= time.monotonic() - started < 15
    assert step_containers(outcome.log)
    assert_gone(sandbox_docker, outcome, nonce)


def test_silent_sleep_is_stopped_too(sandbox, sandbox_docker, labels, nonce):
    """Nothing is printed, so only closing the connection can unblock the reader."""
    limits = Limits(build_seconds=3, memory_mb=128)
    dockerfile = PREFIX + f"RUN sleep 300 # {nonce}\n"
    outcome = sandbox.build(
        files=context(dockerfile), tag=f"estaleiro-test/sleep-{nonce}", limits=limits, labels=labels
    )
    assert_message(outcome, "sandbox.build_timeout")
    assert outcome.seconds < 12
    assert_gone(sandbox_docker, outcome, nonce)


def test_fork_bomb_ends_in_a_verdict(sandbox, sandbox_docker, labels, nonce):
    """The build's own slot caps the bomb's processes at the build's pids limit, not the
    daemon's (the daemon-wide cap of 4096, once exhausted by such a bomb, left every other
    grading unable to start a process until the bomb's container was gone); the wall clock
    ends the step; the daemon builds normally afterwards."""
    limits = Limits(build_seconds=6, memory_mb=256)
    dockerfile = PREFIX + f"RUN echo {nonce}; bomb() {{ bomb | bomb & }}; bomb; while true; do :; done\n"
    outcome = sandbox.build(files=context(dockerfile), tag=f"estaleiro-test/bomb-{nonce}", limits=limits, labels=labels)
    assert not outcome.ok and not outcome.platform_fault
    assert outcome.error_id in ("sandbox.build_timeout", "sandbox.build_command_failed", "sandbox.build_killed"), (
        outcome
    )
    assert outcome.seconds < 25
    assert_gone(sandbox_docker, outcome, nonce)
    after = sandbox.build(
        files=context(PREFIX + f"RUN echo after-{nonce}\n"),
        tag=f"estaleiro-test/after-{nonce}",
        limits=FAST,
        labels=labels,
    )
    assert after.ok, after.log[-500:]
    layers = nonce_layers(sandbox_docker, f"estaleiro-test/after-{nonce}", nonce)
    sandbox.remove_image(f"estaleiro-test/after-{nonce}")
    drop_layers(sandbox_docker, layers)


def test_memory_hog_in_run_is_killed(sandbox, sandbox_docker, labels, nonce):
    limits = Limits(build_seconds=20, memory_mb=64)
    dockerfile = PREFIX + f"RUN echo {nonce}; dd if=/dev/zero of=/dev/null bs=300M count=1\n"
    outcome = sandbox.build(files=context(dockerfile), tag=f"estaleiro-test/oom-{nonce}", limits=limits, labels=labels)
    assert_message(outcome, "sandbox.build_killed")
    assert outcome.error_params == {"code": 137, "memory_mb": 64}
    assert_gone(sandbox_docker, outcome, nonce)


def test_dockerfile_refused_by_docker(sandbox, labels):
    outcome = sandbox.build(
        files=context("FROM scratch\nFROBNICATE now\n"), tag="estaleiro-test/bad", limits=FAST, labels=labels
    )
    assert not outcome.ok and not outcome.platform_fault
    assert_message(outcome, "sandbox.build_rejected")
    assert "unknown instruction" in outcome.error_params["detail"].lower()


def test_missing_base_image_is_explained(sandbox, labels, nonce):
    outcome = sandbox.build(
        files=context(f"FROM estaleiro-test/no-such-image-{nonce}:1\n"),
        tag=f"estaleiro-test/nobase-{nonce}",
        limits=FAST,
        labels=labels,
    )
    assert not outcome.ok and not outcome.platform_fault
    assert_message(outcome, "sandbox.build_image_missing")
    assert outcome.failing_step == f"Step 1/3 : FROM estaleiro-test/no-such-image-{nonce}:1"
