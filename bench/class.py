"""Benchmark 5: a school's classes at once, on PostgreSQL. How many learners, spread over
several classes, the machine serves with every request's p99 under 150 ms and no error.

Set-up, in a scratch database of its own (created on the PostgreSQL server DATABASE_URL
names, dropped at the end): four classes, each with its teacher, the lesson's quiz and one
lab offered with that class's settings (the quiz closes in a week, two classes time it; the
lab is due in three days, late work accepted with a penalty), and learners enrolled in turn;
one learner in ten has an extension (a later lab due date; more time or one more attempt at
the quiz). Each learner has two graded submissions in their history and one being built,
with a live log in Redis. Learners are signed in beforehand (sessions made in the database:
the password hash is not what is measured).

Served by gunicorn as `make run` starts it (2 workers × 4 threads). Each simulated learner is
a browser of its own (bench/httpclient.py: cookies, CSRF token, a connection kept while it is
busy) doing what a learner in class does, through the real URLs:

- opens the class's quiz page, presses start (the form's POST; it resumes an attempt in
  progress) and gets the attempt page, all the quiz's questions on it;
- answers a question every few seconds (`--think`, 4 s on average, spread from half to one
  and a half of it): the htmx autosave POST with the CSRF header;
- every `--lab-every` seconds (20 on average) goes to the lab: the lab page, its submission
  being built, the status poll three times a second apart (as the page polls while a build
  runs), and back to the attempt page.

In the same run and through the same server, a probe asks for `/healthz` (a view with no
session and no database) five times a second: the baseline. N learners arrive within the
first ten seconds of a step and work for `--seconds`; N doubles from step to step (10, 20, 40,
...) until a step misses the goal, then the gap is halved twice. A step meets the goal when
the p99 of all learner requests is under 150 ms and none failed (a wrong status, a refused
autosave, no answer within 10 s). The machine is shared: a failing step is run once more
before it counts as failed, and both runs are shown.

    make bench-class    (or, with Redis running and DATABASE_URL naming a PostgreSQL server:
                         .venv/bin/python bench/class.py [--quick] [--json PATH])

`--quick` (4 and 8 learners, 8 s each, nothing written to docs/BENCHMARKS.md) checks that
the whole harness works; tests/test_bench_class.py runs it.
"""

import argparse
import asyncio
import contextlib
import html
import json
import os
import random
import re
import resource
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import harness
from httpclient import Browser, HttpError, Response

GOAL_MS = 150.0
DATABASE_PREFIX = "estaleiro_bench_class_"
QUIZ_SLUG = "aula-45"
# What each kind of request is, in the order a learner first makes them; the baseline last.
KINDS = {
    "quiz": "the class's quiz page",
    "start": "start (resume) the attempt: POST, redirect",
    "attempt": "the attempt page, every question on it",
    "autosave": "an answer's autosave (htmx POST)",
    "lab": "the class's lab page",
    "submission": "the submission page, build in progress",
    "poll": "the submission status poll (htmx GET)",
    "healthz": "trivial view `/healthz` (the baseline)",
}
LEARNER_KINDS = [kind for kind in KINDS if kind != "healthz"]
# Commands and an essay as learners type them; choice questions get one of their choices.
COMMANDS = [
    "docker build -t minha-api:1.0 .",
    "docker run -d -p 8000:8000 --name api minha-api:1.0",
    "docker ps",
    "docker logs api",
    "docker stop api",
]
ESSAY = (
    "Contêineres tornam o ambiente reproduzível: a imagem fixa sistema, bibliotecas e versões, "
    "inicia em segundos e vai do treino à produção no mesmo pipeline de MLOps."
)
LIVE_LOG = "Step 3/6 : RUN pip install --no-cache-dir -r requirements.txt\n" + "Collecting pacote\n" * 200


@dataclass
class Options:
    classes: int
    steps: list[int]
    seconds: float
    arrival: float
    think: float
    lab_every: float
    polls: int
    healthz_per_second: float
    warmup_seconds: float
    refine: int
    confirm: int
    goal_ms: float
    # Stop doubling at the first step that misses the goal; --quick runs every step.
    stop_at_miss: bool = True


@dataclass
class Learner:
    username: str
    session_key: str
    class_id: int
    lab_slug: str
    submission_id: int


@dataclass
class School:
    """What the set-up made: the classes (id, lab slug), the quiz's questions with an answer
    for each (form values), the learners so far."""

    classes: list[tuple[int, str]]
    answers: list[tuple[int, list[tuple[str, str]]]]
    first_question: int
    learners: list[Learner] = field(default_factory=list)


# -- the scratch database --------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(server_url: str):
    """A new, empty database on the server DATABASE_URL names, dropped afterwards whatever
    happens: the benchmark never reads or writes another database. Yields its URL and name."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(
            "bench/class.py measures on PostgreSQL: set DATABASE_URL to a postgres:// URL "
            "(make bench-class starts a PostgreSQL server of its own)"
        )
    name = f"{DATABASE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"

    def admin():
        # The server's own maintenance database; the URL's, where that one is not reachable.
        try:
            return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
        except psycopg.OperationalError:
            return psycopg.connect(server_url, autocommit=True)

    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}")), name
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- the school --------------------------------------------------------------------------------


def build_school(classes: int) -> School:
    """The classes, each with its teacher, the quiz and a lab offered with its own settings."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from classes.services import class_create, offering_add, offering_settings_save
    from labs.models import Lab
    from quizzes.models import Question, Quiz

    now = timezone.now()
    quiz = Quiz.objects.get(slug=QUIZ_SLUG)
    labs = list(Lab.objects.filter(is_active=True).order_by("position", "slug"))
    made = []
    for index in range(classes):
        teacher = User.objects.create_user(f"prof-{index + 1}", password=None)
        klass = class_create(name=f"Turma {index + 1}", term="bench", creator=teacher)
        quiz_offering = offering_add(klass=klass, quiz=quiz, actor=teacher)
        quiz_offering.closes_at = now + timedelta(days=7)
        quiz_offering.time_limit_minutes = (None, 120, None, 180)[index % 4]
        quiz_offering.save()
        offering_settings_save(offering=quiz_offering, actor=teacher, changed=["closes_at", "time_limit_minutes"])
        lab_offering = offering_add(klass=klass, lab=labs[index % len(labs)], actor=teacher)
        lab_offering.due_at = now + timedelta(days=3)
        lab_offering.closes_at = now + timedelta(days=10)
        lab_offering.late_policy = lab_offering.LatePolicy.PENALTY
        lab_offering.late_penalty_percent = 10
        lab_offering.save()
        offering_settings_save(offering=lab_offering, actor=teacher, changed=["due_at", "closes_at", "late_policy"])
        made.append((klass.pk, lab_offering.lab.slug))
    answers = []
    commands = iter(COMMANDS * 10)
    for question in quiz.questions.prefetch_related("choices").order_by("position"):
        field_name = f"q{question.pk}"
        if question.kind == Question.Kind.ESSAY:
            values = [(field_name, ESSAY)]
        elif question.kind == Question.Kind.COMMAND:
            values = [(field_name, next(commands))]
        else:
            values = [(field_name, str(choice.pk)) for choice in question.choices.all()]
        answers.append((question.pk, values))
    return School(classes=made, answers=answers, first_question=answers[0][0])


def enrol_learners(school: School, count: int) -> None:
    """Learners up to `count`, enrolled in the classes in turn, each with a session, two graded
    submissions and one being built; one in ten with an extension in both offerings."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from classes.models import Class, Offering, Role
    from classes.services import ExtensionTerms, extensions_grant, membership_add
    from labs.livelog import LiveLog
    from labs.models import Submission

    now = timezone.now()
    new: dict[int, list[User]] = {}
    for index in range(len(school.learners), count):
        class_id, lab_slug = school.classes[index % len(school.classes)]
        klass = Class.objects.get(pk=class_id)
        user = User.objects.create_user(f"aluno-{index + 1:04d}", password=None)
        membership_add(klass=klass, user=user, role=Role.LEARNER)
        lab_offering = Offering.objects.select_related("lab").get(klass=klass, lab__slug=lab_slug)
        for status, score, hours in (("failed", 40.0, 3), ("passed", 100.0, 2)):
            done = Submission.objects.create(
                learner=user,
                lab=lab_offering.lab,
                offering=lab_offering,
                dockerfile="FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n",
                status=status,
                score=score,
                max_score=100,
                counted=True,
                worker_host="bench",
                queued_at=now - timedelta(hours=hours),
                finished_at=now - timedelta(hours=hours),
            )
            Submission.objects.filter(pk=done.pk).update(created_at=now - timedelta(hours=hours))
        building = Submission.objects.create(
            learner=user,
            lab=lab_offering.lab,
            offering=lab_offering,
            dockerfile="FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n",
            status=Submission.Status.BUILDING,
            queued_at=now,
            building_at=now,
            worker_host="bench",
        )
        live = LiveLog(building.pk, owner="bench")
        live.start()
        live.append(LIVE_LOG)
        client = Client()
        client.force_login(user)
        school.learners.append(
            Learner(user.username, client.cookies["sessionid"].value, class_id, lab_slug, building.pk)
        )
        if index % 10 == 9:
            new.setdefault(class_id, []).append(user)
    for class_id, users in new.items():
        klass = Class.objects.get(pk=class_id)
        teacher = klass.memberships.get(role=Role.TEACHER).user
        for offering in klass.offerings.all():
            if offering.lab_id:
                terms = ExtensionTerms(due_at=now + timedelta(days=5), reason="atestado")
            elif offering.time_limit_minutes:
                terms = ExtensionTerms(time_multiplier=1.5, reason="atendimento especial")
            else:
                terms = ExtensionTerms(extra_attempts=1, reason="atestado")
            extensions_grant(offering=offering, learners=users, terms=terms, granted_by=teacher)


def clear_live_logs(school: School) -> None:
    from labs.livelog import LiveLog

    for learner in school.learners:
        LiveLog(learner.submission_id, owner="bench").clear()


# -- one step: N learners at once ----------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    ms: float
    error: str = ""


class Recorder:
    def __init__(self):
        self.samples: list[Sample] = []

    async def call(self, kind: str, request, check) -> Response | None:
        """Time one request; None (and an error recorded) if it failed or `check` refuses
        the answer (check returns what was wrong, or '')."""
        try:
            response = await request
        except HttpError as exc:
            self.samples.append(Sample(kind, float("nan"), str(exc)))
            return None
        problem = check(response)
        self.samples.append(Sample(kind, response.seconds * 1000, problem))
        return None if problem else response


def status_is(expected: int, *, contains: str = ""):
    def check(response: Response) -> str:
        if response.status != expected:
            where = response.header("location")
            return f"status {response.status}{' → ' + where if where else ''}"
        if contains and contains not in response.text:
            return f"no {contains!r} in the answer"
        if response.header("hx-redirect"):
            return f"refused, sent to {response.header('hx-redirect')}"
        return ""

    return check


def started_attempt(response: Response) -> str:
    if response.status != 302 or not re.search(r"/questionarios/tentativas/\d+/$", response.header("location")):
        return f"status {response.status} → {response.header('location') or 'nowhere'}"
    return ""


async def learner_session(
    learner: Learner, school: School, opts: Options, address: tuple[str, int], end: float, record: Recorder
):
    loop = asyncio.get_running_loop()
    rng = random.Random(learner.username)
    browser = Browser(*address, cookies={"sessionid": learner.session_key})
    htmx = {"HX-Request": "true"}

    async def until(moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - loop.time()))

    def spread(mean: float) -> float:
        return rng.uniform(mean / 2, mean * 3 / 2)

    await until(loop.time() + rng.uniform(0, opts.arrival))
    quiz_path = f"/turmas/{learner.class_id}/questionarios/{QUIZ_SLUG}/"
    if not await record.call("quiz", browser.get(quiz_path), status_is(200)):
        return
    start = await record.call(
        "start",
        browser.post(f"{quiz_path}comecar/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}),
        started_attempt,
    )
    if start is None:
        return
    attempt_path = urlsplit(start.header("location")).path
    if not await record.call(
        "attempt", browser.get(attempt_path), status_is(200, contains=f'name="q{school.first_question}"')
    ):
        return
    question = rng.randrange(len(school.answers))
    next_answer, next_lab = loop.time() + spread(opts.think), loop.time() + spread(opts.lab_every)
    while min(next_answer, next_lab) < end:
        if next_answer <= next_lab:
            await until(next_answer)
            question_id, values = school.answers[question % len(school.answers)]
            question += 1
            field_name, value = rng.choice(values)
            await record.call(
                "autosave",
                browser.post(f"{attempt_path}respostas/{question_id}/", [(field_name, value)], headers=htmx),
                status_is(200),
            )
            next_answer = loop.time() + spread(opts.think)
            continue
        await until(next_lab)
        await record.call(
            "lab", browser.get(f"/turmas/{learner.class_id}/laboratorios/{learner.lab_slug}/"), status_is(200)
        )
        page = await record.call(
            "submission", browser.get(f"/laboratorios/entregas/{learner.submission_id}/"), status_is(200)
        )
        poll = re.search(r'hx-get="([^"]+)"', page.text) if page else None
        for _ in range(opts.polls if poll else 0):
            await asyncio.sleep(1.0)
            await record.call(
                "poll",
                browser.get(html.unescape(poll[1]), headers=htmx),
                status_is(200, contains='id="submission-status"'),
            )
        await record.call(
            "attempt", browser.get(attempt_path), status_is(200, contains=f'name="q{school.first_question}"')
        )
        next_lab = loop.time() + spread(opts.lab_every)
        next_answer = max(next_answer, loop.time() + 1.0)  # back on the quiz, the next click
    browser.close()


async def healthz_probe(opts: Options, address: tuple[str, int], end: float, record: Recorder):
    loop = asyncio.get_running_loop()
    browser = Browser(*address)
    every = 1 / opts.healthz_per_second
    moment = loop.time()
    while moment < end:
        await asyncio.sleep(max(0.0, moment - loop.time()))
        await record.call("healthz", browser.get("/healthz"), status_is(200, contains="ok"))
        moment += every
    browser.close()


async def loop_lag(end: float, lags: list[float]):
    """How late the load generator's own timers fire: were it late, latencies would be its."""
    loop = asyncio.get_running_loop()
    while loop.time() < end:
        wanted = loop.time() + 0.05
        await asyncio.sleep(0.05)
        lags.append((loop.time() - wanted) * 1000)


async def run_load(learners: list[Learner], school: School, opts: Options, address, seconds: float):
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    record, lags = Recorder(), []
    await asyncio.gather(
        healthz_probe(opts, address, end, record),
        loop_lag(end, lags),
        *(learner_session(learner, school, opts, address, end, record) for learner in learners),
    )
    return record.samples, lags


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, every core."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, sum(fields[:8])


def summarize(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50": harness.percentile(values, 50),
        "p95": harness.percentile(values, 95),
        "p99": harness.percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


def run_step(n: int, school: School, opts: Options, web: harness.Process, address, seconds: float) -> dict:
    if len(school.learners) < n:
        enrol_learners(school, n)
    busy_before, cpu_before = machine_busy(), harness.tree_cpu_seconds(web.pid)
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    samples, lags = asyncio.run(run_load(school.learners[:n], school, opts, address, seconds))
    wall = time.monotonic() - started
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = harness.tree_cpu_seconds(web.pid) - cpu_before
    busy_after = machine_busy()
    kinds = {}
    for kind in KINDS:
        mine = [s for s in samples if s.kind == kind]
        kinds[kind] = summarize([s.ms for s in mine if not s.error]) | {
            "requests": len(mine),
            "errors": sum(1 for s in mine if s.error),
        }
    learner_samples = [s for s in samples if s.kind != "healthz"]
    ok = [s.ms for s in learner_samples if not s.error]
    errors = [f"{s.kind}: {s.error}" for s in samples if s.error]
    result = {
        "learners": n,
        "seconds": round(wall, 1),
        "requests": len(learner_samples),
        "per_second": len(learner_samples) / wall,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "all": summarize(ok),
        "kinds": kinds,
        "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(learner_samples)),
        "server_cores": server_cpu / wall,
        "machine_busy": (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]),
        "client_cores": (
            client_after.ru_utime + client_after.ru_stime - client_before.ru_utime - client_before.ru_stime
        )
        / wall,
        "client_lag_p99_ms": harness.percentile(lags, 99),
        "load_average": os.getloadavg()[0],
    }
    result["passed"] = not errors and result["all"]["p99"] < opts.goal_ms
    return result


def ramp(school: School, opts: Options, web, address) -> list[dict]:
    """Steps of N learners, doubling until one misses the goal, then halving the gap (or, if
    the first step missed, going below it); a failing step is run again (`confirm` times)
    before it counts as failed."""
    runs: list[dict] = []

    def step(n: int) -> bool:
        for attempt in range(1 + opts.confirm):
            result = run_step(n, school, opts, web, address, opts.seconds)
            result["run"] = attempt + 1
            runs.append(result)
            print(
                f"{n:4d} learners: {result['per_second']:6.1f} req/s, p50 {result['all']['p50']:6.1f} ms, "
                f"p99 {result['all']['p99']:6.1f} ms, errors {result['errors']}, /healthz p99 "
                f"{result['kinds']['healthz']['p99']:.1f} ms, machine {result['machine_busy']:.0%} busy: "
                f"{'met' if result['passed'] else 'missed'}",
                flush=True,
            )
            if result["passed"]:
                return True
            time.sleep(2)
        return False

    passed, failed = None, None
    for n in opts.steps:
        if step(n):
            passed = n if failed is None else passed
        else:
            failed = n if failed is None else failed
            if opts.stop_at_miss:
                break
    for _ in range(opts.refine):
        if failed is None:
            break
        # Between the last N that met the goal and the first that missed it; below the first
        # step if that one missed, down to one learner per class.
        middle = round(((passed or 0) + failed) / 2 / opts.classes) * opts.classes
        if middle < opts.classes or middle in (passed, failed):
            break
        if step(middle):
            passed = middle
        else:
            failed = middle
    return runs


# -- the report ----------------------------------------------------------------------------------


def largest_met(runs: list[dict]) -> dict | None:
    """The largest N whose step met the goal with every smaller N meeting it too."""
    verdict: dict[int, bool] = {}
    for run in runs:
        verdict[run["learners"]] = verdict.get(run["learners"], False) or run["passed"]
    best = None
    for n in sorted(verdict):
        if not verdict[n]:
            break
        best = n
    return next((r for r in reversed(runs) if r["learners"] == best and r["passed"]), None)


def report(runs: list[dict], opts: Options, database: dict) -> str:
    best = largest_met(runs)
    rows = []
    for run in sorted(runs, key=lambda r: r["learners"]):  # stable: a step's second run after its first
        healthz = run["kinds"]["healthz"]
        rows.append(
            f"| {run['learners']}{' (again)' if run['run'] > 1 else ''} | {run['per_second']:.0f} | "
            f"{run['all']['p50']:.1f} | {run['all']['p95']:.1f} | **{run['all']['p99']:.1f}** | "
            f"{run['all']['max']:.0f} | {run['errors']} | {healthz['p50']:.1f} / {healthz['p99']:.1f} | "
            f"{run['all']['p99'] / healthz['p99']:.1f}× | {run['server_cpu_ms_per_request']:.1f} | "
            f"{run['server_cores']:.2f} | {run['machine_busy']:.0%} | {run['client_lag_p99_ms']:.1f} | "
            f"{'met' if run['passed'] else 'missed'} |"
        )
    failing = [r for r in runs if not r["passed"]]
    examples = sorted({e for r in failing for e in r["error_examples"]})[:5]
    body = (
        f"{opts.classes} classes on PostgreSQL {database['version']} (same machine, loopback; fsync "
        f"{database['fsync']}, synchronous_commit {database['synchronous_commit']}), gunicorn as `make run` starts "
        f"it (2 workers × 4 threads), Redis for the live log and the cache. Each class offers the lesson's quiz "
        f"({database['questions']} questions on one page) and a lab with its own dates; one "
        "learner in ten has an extension. Each simulated learner opens the class's quiz page, starts the attempt, "
        f"answers a question every {opts.think / 2:g}–{opts.think * 3 / 2:g} s (htmx autosave POST with the CSRF "
        f"header) and every {opts.lab_every / 2:g}–{opts.lab_every * 3 / 2:g} s visits the lab: its page, the "
        f"submission being built, {opts.polls} status polls a second apart, back to the attempt page. The learners "
        f"of a step arrive within {opts.arrival:g} s and work for {opts.seconds:g} s; `/healthz` is asked "
        f"{opts.healthz_per_second:g} times a second through the same server in the same step (the baseline). "
        "The load generator (asyncio, one process) runs on the same two cores.\n\n"
        "| learners | learner req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors | `/healthz` p50 / p99 (ms) "
        "| p99 against `/healthz`'s | server CPU per learner request (ms) | server cores used | machine busy "
        "| generator lag p99 (ms) | goal |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
    )
    if best is None:
        body += f"\n\n**No step met the goal** (p99 < {opts.goal_ms:g} ms, no error)."
    else:
        healthz = best["kinds"]["healthz"]
        body += (
            f"\n\n**{best['learners']} learners** across {opts.classes} classes is the largest N served with p99 under "
            f"{opts.goal_ms:g} ms and no error ({best['all']['p99']:.1f} ms, {best['per_second']:.0f} learner "
            f"requests/s). Against the trivial view in the same step: p99 **{best['all']['p99'] / healthz['p99']:.1f}×** "
            f"`/healthz`'s ({healthz['p99']:.1f} ms), p50 {best['all']['p50'] / healthz['p50']:.1f}× "
            f"({healthz['p50']:.1f} ms).\n\n"
            f"By request at {best['learners']} learners:\n\n"
            "| request | count | p50 (ms) | p99 (ms) | max (ms) | errors |\n|---|---|---|---|---|---|\n"
            + "\n".join(
                f"| {KINDS[kind]} | {k['requests']} | {k['p50']:.1f} | {k['p99']:.1f} | {k['max']:.0f} | {k['errors']} |"
                for kind, k in best["kinds"].items()
            )
        )
    if examples:
        body += "\n\nErrors seen in missed steps: " + "; ".join(f"`{e}`" for e in examples) + "."
    return body


def options(args) -> Options:
    if args.quick:
        return Options(
            classes=4,
            steps=[4, 8],
            seconds=8,
            arrival=2,
            think=1,
            lab_every=3,
            polls=2,
            healthz_per_second=5,
            warmup_seconds=3,
            refine=0,
            confirm=0,
            goal_ms=GOAL_MS,
            stop_at_miss=False,
        )
    return Options(
        classes=args.classes,
        steps=[int(n) for n in args.steps.split(",")],
        seconds=args.seconds,
        arrival=10,
        think=args.think,
        lab_every=args.lab_every,
        polls=3,
        healthz_per_second=5,
        warmup_seconds=15,
        refine=2,
        confirm=1,
        goal_ms=GOAL_MS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run that checks the harness; writes no figures")
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--steps", default="10,20,40,80,160,320,640", help="learners per step, in order")
    parser.add_argument("--seconds", type=float, default=60, help="length of each step")
    parser.add_argument("--think", type=float, default=4, help="mean seconds between two answers")
    parser.add_argument("--lab-every", type=float, default=20, help="mean seconds between two visits to the lab")
    parser.add_argument("--json", type=Path, help="also write every step's figures here")
    args = parser.parse_args()
    opts = options(args)
    server = os.environ.get("DATABASE_URL", "")
    with scratch_database(server) as (url, name):
        print(f"scratch database {name}", flush=True)
        harness.setup_django(url)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), current_setting('fsync'), "
                "current_setting('synchronous_commit')"
            )
            version, fsync, synchronous = cursor.fetchone()
        school = build_school(opts.classes)
        database = {
            "name": name,
            "version": version,
            "fsync": fsync,
            "synchronous_commit": synchronous,
            "questions": len(school.answers),
        }
        web, base = harness.start_web("class-web")
        address = (urlsplit(base).hostname, urlsplit(base).port)
        try:
            with harness.stopping(web):
                # Each gunicorn worker's first pages (templates, caches) outside the measure.
                run_step(opts.classes * 2, school, opts, web, address, opts.warmup_seconds)
                runs = ramp(school, opts, web, address)
        finally:
            clear_live_logs(school)
    if args.json:
        args.json.write_text(json.dumps({"database": database, "runs": runs}, indent=1, default=str))
    if args.quick:
        print(report(runs, opts, database))
        return
    harness.write_results("class", "5. Class load (make bench-class)", report(runs, opts, database))


if __name__ == "__main__":
    main()
