"""Benchmark 1: grading overhead against the raw Docker floor, on a warm build cache.

Platform: a learner submits the lab's reference solution through the web (gunicorn as
`make run` serves it), a real grading worker takes it from Redis, grades it in the sandbox
daemon and stores the verdict; the time is from just before the HTTP submit to the
verdict's `finished_at`. Floor: the same build, run, HTTP probes and removal done directly
with the docker CLI against the same daemon (bench/harness.py: floor_grade). Medians of N
runs each, interleaved so that drift on a shared machine hits both alike.

    make bench-grading  (or, with the services running: .venv/bin/python bench/grading.py --runs 7)
"""

import argparse
import uuid

import harness

GOALS = {"primeiro-conteiner": 1.3, "api-modelo-ml": 1.15}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    harness.setup_django()
    from labs.content import find_lab, read_tree, submission_files

    harness.make_learner("bench-learner")
    worker = harness.start_grading_worker()
    web, base = harness.start_web()
    rows, details = [], []
    with harness.stopping(web, worker):
        session = harness.login(base, "bench-learner")
        for slug, goal in GOALS.items():
            lab = find_lab(slug)
            given = read_tree(lab.dir / "reference")
            context = submission_files(lab, given)
            platform, floor, phases = [], [], []
            # One of each first, not counted: it warms the build cache and the page caches.
            for counted in [False] + [True] * args.runs:
                submission_id, started = harness.web_submit(session, base, slug, given)
                [submission] = harness.wait_final([submission_id])
                if submission.status != "passed":
                    raise RuntimeError(
                        f"{slug}: the reference did not pass: {submission.status} {submission.error_detail}"
                    )
                elapsed = submission.finished_at.timestamp() - started
                raw = harness.floor_grade(lab, context, f"estaleiro-floor:{uuid.uuid4().hex[:8]}")
                if counted:
                    platform.append(elapsed)
                    floor.append(raw)
                    phases.append(submission.report["timings"])
                    phases[-1]["queue_wait"] = round((submission.building_at - submission.queued_at).total_seconds(), 3)
            ratio = harness.median(platform) / harness.median(floor)
            rows.append(
                f"| `{slug}` | {harness.median(platform):.2f} | {harness.median(floor):.2f} | "
                f"**{ratio:.2f}** | ≤ {goal} | {'met' if ratio <= goal else 'missed'} |"
            )
            keys = ["queue_wait", "gate", "lint", "build", "run", "checks", "cleanup", "total"]
            medians = {k: harness.median([p.get(k, 0) for p in phases]) for k in keys}
            details.append(f"| `{slug}` | " + " | ".join(f"{medians[k]:.3f}" for k in keys) + " |")
            print(f"{slug}: platform {platform} floor {floor} ratio {ratio:.2f}")
    body = (
        f"{args.runs} runs per lab (after one warm-up each), medians, the reference solution, warm build cache.\n\n"
        "| lab | platform: web submit → verdict stored (s) | floor: docker CLI build + run + probe + rm (s) "
        "| ratio | goal | |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nWhere the platform's time goes (medians, seconds; `total` is the grading engine's own, "
        "inside the worker; `queue_wait` is from queued to claimed):\n\n"
        "| lab | queue_wait | gate | lint | build | run | checks | cleanup | total |\n|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(details)
    )
    harness.write_results("grading", "1. Grading overhead against the raw Docker floor", body)


if __name__ == "__main__":
    main()
