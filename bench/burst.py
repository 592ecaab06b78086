"""Benchmark 2: a burst of 40 submissions of mixed labs, a fifth of them hostile, queued at
once through the web, graded by the grading worker at its default concurrency (one process
per core, as `make run` starts it).

Checked: every submission reaches a verdict, none is lost, none is graded twice (the
worker's log has exactly one finished grading per submission and none was retried).
Reported: throughput (verdicts per minute) against the raw floor at the same concurrency
(the same 40 jobs done with the docker CLI by as many threads: build within the lab's wall
clock and log cap, then run, probe and remove), queue wait p50/p95 and the worker's peak
memory (the worker and its pool processes together).

    make bench-burst      (or, with the services running: .venv/bin/python bench/burst.py)
"""

import collections
import concurrent.futures
import os
import re
import time
import uuid

import harness

GOAL = 0.8
BASE = "FROM python:3.11-slim\n"
# Hostile cases that end fast: each is stopped by a limit (pids, memory, log cap, no
# network) or refused by the gate. An endless loop would only measure the lab's wall clock
# (180 s) twice, so it stays in the tests' hostile corpus and out of this mix.
HOSTILE = {
    "fork-bomb": BASE + "RUN bomba() { bomba | bomba; }; bomba\n",
    "memory-bomb": BASE + 'RUN python -c "b = bytearray(2 * 1024 ** 3)"\n',
    "log-flood": BASE + 'RUN yes "muito log muito log muito log"\n',
    "network-egress": BASE
    + "RUN python -c \"import urllib.request; urllib.request.urlopen('http://1.1.1.1', timeout=5)\"\n",
    "pip-from-the-internet": BASE + "RUN pip install --index-url https://pypi.org/simple requests\n",
    "add-url": BASE + "ADD https://example.com/x.tar.gz /x\n",
    "foreign-base": "FROM ubuntu:latest\nRUN id\n",
    "mount-proc": BASE + "RUN mount -t proc proc /mnt && cat /mnt/1/environ\n",
}


def jobs(find_lab, read_tree) -> list[tuple[str, str, dict[str, bytes]]]:
    """(label, lab slug, files): 32 ordinary submissions and 8 hostile ones, interleaved."""
    ordinary = []
    for slug in ("primeiro-conteiner", "api-modelo-ml", "otimizar-imagem"):
        lab = find_lab(slug)
        ordinary.append((f"{slug}/reference", slug, read_tree(lab.dir / "reference")))
        for case in sorted((lab.dir / "bad").iterdir()):
            files = {k: v for k, v in read_tree(case).items() if k != "expected.yaml"}
            # A case that keeps the starter's Dockerfile sends it, as a learner would paste it.
            files.setdefault("Dockerfile", (lab.starter_dir / "Dockerfile").read_bytes())
            ordinary.append((f"{slug}/bad/{case.name}", slug, files))
    ordinary = (ordinary * 4)[:32]
    hostile = [
        (f"hostile/{name}", "primeiro-conteiner", {"Dockerfile": text.encode()}) for name, text in HOSTILE.items()
    ]
    mixed = []
    for index, job in enumerate(ordinary):
        mixed.append(job)
        if index % 4 == 3:
            mixed.append(hostile[index // 4])
    return mixed


def run_floor(find_lab, submission_files, work, concurrency: int) -> float:
    from labs.grading.dockerfile import gate

    def one(job):
        _, slug, files = job
        lab = find_lab(slug)
        if gate(files["Dockerfile"], allowed_bases=lab.spec.bases):
            return 0.0  # refused before any build, by the platform and by any grader
        return harness.floor_grade(lab, submission_files(lab, files), f"estaleiro-floor:{uuid.uuid4().hex[:10]}")

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, work))
    return time.monotonic() - started


def main() -> None:
    harness.setup_django()
    from labs.content import find_lab, read_tree, submission_files
    from labs.models import Submission

    concurrency = os.cpu_count()
    work = jobs(find_lab, read_tree)
    learners = [f"turma-{n:02d}" for n in range(len(work))]
    for name in learners:
        harness.make_learner(name)
    worker = harness.start_grading_worker(concurrency)
    web, base = harness.start_web()
    with harness.stopping(web, worker):
        sessions = [harness.login(base, name) for name in learners]
        # Warm the build cache as a class's first submissions would, outside the measure.
        for slug in ("primeiro-conteiner", "api-modelo-ml", "otimizar-imagem"):
            harness.wait_final(
                [harness.web_submit(sessions[0], base, slug, read_tree(find_lab(slug).dir / "reference"))[0]]
            )
        Submission.objects.all().delete()
        worker_log_start = len(worker.log())
        with harness.PeakMemory(worker.pid) as memory:
            sent = [
                harness.web_submit(session, base, slug, files)
                for session, (_, slug, files) in zip(sessions, work, strict=True)
            ]
            first_sent = min(at for _, at in sent)
            submissions = harness.wait_final([pk for pk, _ in sent], seconds=1800)
        platform_seconds = max(s.finished_at.timestamp() for s in submissions) - first_sent
        log = worker.log()[worker_log_start:]
    floor_seconds = run_floor(find_lab, submission_files, work, concurrency)

    finished = re.findall(r"labs\.grade_submission\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", log)
    graded = collections.Counter(finished)
    verdicts = collections.Counter(s.status for s in submissions)
    lost = len(work) - sum(s.is_final for s in submissions)
    twice = sum(graded.values()) - len(work)
    waits = [(s.building_at - s.queued_at).total_seconds() for s in submissions if s.building_at]
    platform_rate, floor_rate = 60 * len(work) / platform_seconds, 60 * len(work) / floor_seconds
    ratio = platform_rate / floor_rate
    by_job = collections.defaultdict(collections.Counter)
    for (label, _, _), submission in zip(work, submissions, strict=False):
        by_job[label.split("/")[0] if label.startswith("hostile") else label][submission.status] += 1
    print(
        f"verdicts {dict(verdicts)} graded {dict(graded)} platform {platform_seconds:.1f}s floor {floor_seconds:.1f}s"
    )
    if lost or twice or any(s.retries for s in submissions) or graded.get("not-claimed"):
        raise SystemExit(f"lost {lost}, graded twice {twice}, retried {sum(s.retries for s in submissions)}")

    body = (
        f"{len(work)} submissions ({len(HOSTILE)} hostile: {', '.join(HOSTILE)}) sent through the web as fast as one "
        f"client can, {concurrency} grading processes (the default: one per core). Build cache warm for the references.\n\n"
        "| | platform | floor (docker CLI, same jobs, same concurrency) |\n|---|---|---|\n"
        f"| wall time for all 40 | {platform_seconds:.1f} s | {floor_seconds:.1f} s |\n"
        f"| throughput | {platform_rate:.1f} verdicts/min | {floor_rate:.1f} jobs/min |\n\n"
        f"**Throughput ratio {ratio:.2f}** (goal ≥ {GOAL}: {'met' if ratio >= GOAL else 'missed'}).\n\n"
        f"- verdicts: {', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))}; lost: {lost}; graded twice: {twice}; "
        f"platform retries: {sum(s.retries for s in submissions)}\n"
        f"- queue wait (queued → claimed by a worker): p50 {harness.percentile(waits, 50):.1f} s, "
        f"p95 {harness.percentile(waits, 95):.1f} s, max {max(waits):.1f} s\n"
        f"- worker peak memory (main process and pool together): {memory.peak / 2**20:.0f} MiB\n\n"
        "| submission | verdicts |\n|---|---|\n"
        + "\n".join(
            f"| `{label}` | {', '.join(f'{k} {v}' for k, v in sorted(c.items()))} |"
            for label, c in sorted(by_job.items())
        )
    )
    harness.write_results("burst", "2. Burst: 40 mixed submissions at once", body)


if __name__ == "__main__":
    main()
