"""Benchmark 4: a submission whose build prints 200 MB of log. The grading worker must stay
bounded by the log cap (it stops reading past the lab's `log_bytes`, ends the build and
fails it with a clear message), far under 300 MB of memory for the worker and its pool.

The same Dockerfile is built once with the docker CLI reading everything (output thrown
away) for scale: how long the daemon takes to produce the 200 MB.

    make bench-logflood      (or, with the services running: .venv/bin/python bench/logflood.py)
"""

import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import harness

GOAL_MIB = 300
FLOOD_BYTES = 200_000_000


def dockerfile() -> str:
    """200 MB of 100-character lines, then a step that would pass: only the cap may stop
    it. A fresh token each time, so the flood step never comes from the build cache."""
    return (
        "FROM python:3.11-slim\n"
        f"RUN echo {uuid.uuid4().hex} && head -c {FLOOD_BYTES} /dev/zero | tr '\\0' 'x' | fold -w 99\n"
        "WORKDIR /app\nCOPY . .\n"
    )


def main() -> None:
    harness.setup_django()
    from labs.models import Lab
    from labs.selectors import lab_spec

    harness.make_learner("bench-flood")
    limits = lab_spec(lab=Lab.objects.get(slug="primeiro-conteiner")).limits
    worker = harness.start_grading_worker()
    web, base = harness.start_web()
    with harness.stopping(web, worker):
        session = harness.login(base, "bench-flood")
        idle = harness.tree_rss_bytes(worker.pid)
        with harness.PeakMemory(worker.pid, every=0.02) as memory:
            submission_id, sent_at = harness.web_submit(
                session, base, "primeiro-conteiner", {"Dockerfile": dockerfile().encode()}
            )
            [submission] = harness.wait_final([submission_id], seconds=600)
        seconds = submission.finished_at.timestamp() - sent_at
    build = next(c for c in submission.report["checks"] if c["id"] == "build")
    if build["status"] != "failed" or "KB" not in build["message"]:
        raise SystemExit(f"the flood was not stopped by the log cap: {build['status']} {build['message']}")
    print(submission.status, build["message"], f"peak {memory.peak / 2**20:.0f} MiB idle {idle / 2**20:.0f} MiB")

    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "Dockerfile").write_text(dockerfile())
        started = time.monotonic()
        cli = subprocess.run(
            [*harness.docker_cli(), "build", "--network", "none", "-t", "estaleiro-floor:flood", context],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        raw_seconds = time.monotonic() - started
        subprocess.run([*harness.docker_cli(), "rmi", "--no-prune", "estaleiro-floor:flood"], capture_output=True)

    peak_mib = memory.peak / 2**20
    body = (
        f"A `primeiro-conteiner` submission whose `RUN` prints {FLOOD_BYTES // 10**6} MB of log (100-character lines), "
        f"sent through the web; the lab's log cap is {limits.log_bytes / 10**6:g} MB "
        f"(`limits.log_bytes`). Memory is the resident size of the grading worker and its pool processes together, "
        "sampled every 20 ms.\n\n"
        "| | |\n|---|---|\n"
        f"| worker memory, idle before | {idle / 2**20:.0f} MiB |\n"
        f"| worker memory, peak while grading | **{peak_mib:.0f} MiB** (goal < {GOAL_MIB} MiB: "
        f"{'met' if peak_mib < GOAL_MIB else 'missed'}) |\n"
        f"| growth over idle | {(memory.peak - idle) / 2**20:.0f} MiB |\n"
        f"| verdict | `{submission.status}`, build check: {build['message'].replace('|', '&#124;')} |\n"
        f"| log stored with the submission | {len(submission.log) / 1000:.0f} kB (the database keeps at most 200,000 characters) |\n"
        f"| web submit → verdict stored | {seconds:.1f} s |\n"
        f"| the same build read to the end by the docker CLI (for scale) | {raw_seconds:.1f} s, exit {cli.returncode} |\n"
    )
    harness.write_results("logflood", "4. Log flood: 200 MB of build log", body)


if __name__ == "__main__":
    main()
