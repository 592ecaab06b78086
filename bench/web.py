"""Benchmark 3: the web under load. gunicorn as `make run` serves it (2 workers × 4 threads,
SQLite, Redis), wrk on loopback, 30 s at 16 connections per endpoint:

- `healthz`: a trivial view served by the same server: the baseline;
- the quiz page (a learner's attempt in progress, all questions on one page);
- an answer autosave (the htmx POST a click sends);
- the submission status poll (the htmx partial a learner's page asks for every second
  while a grading runs: a submission in `building` with 64 KB of live log in Redis, polled
  with the offset the page's log has reached, as the page does).

Goals: the quiz page at ≥ 50 % of the trivial view's requests per second, p99 under 100 ms.

    make bench-web      (or, with the services running: .venv/bin/python bench/web.py [--seconds 30])
"""

import argparse
import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import harness

CONNECTIONS = 16


def wrk(url: str, *, seconds: int, headers: dict[str, str], script: str | None = None) -> dict:
    """One wrk run; requests/s, latency percentiles (ms) and non-2xx answers."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (Debian: apt-get install wrk); make bench-web installs it")
    argv = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        argv += ["-s", lua.name]
    done = subprocess.run(argv + [url], capture_output=True, text=True, check=True)
    Path(lua.name).unlink()
    out = done.stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "errors": errors[1] if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    harness.setup_django()
    from django.utils import timezone

    from labs.livelog import LiveLog
    from labs.models import Submission
    from quizzes.services import attempt_start

    learner = harness.make_learner("bench-web")
    # The class's quiz with every question on one page: the heaviest page a learner loads.
    quiz_offering = harness.offering("aula-45")
    quiz_offering.one_per_page = False
    quiz_offering.save()
    quiz = quiz_offering.quiz
    attempt = attempt_start(offering=quiz_offering, learner=learner)
    question = quiz.questions.filter(kind="single").order_by("position").first()
    choice = question.choices.order_by("position").first()
    lab_offering = harness.offering("primeiro-conteiner")

    submission = Submission.objects.create(
        learner=learner,
        lab=lab_offering.lab,
        offering=lab_offering,
        dockerfile="FROM python:3.11-slim\n",
        status=Submission.Status.BUILDING,
        queued_at=timezone.now(),
        building_at=timezone.now(),
        worker_host="bench",
    )
    live = LiveLog(submission.pk, owner="bench")
    live.start()
    for step in range(64):
        live.append(f"Step {step}/64 : RUN echo {'x' * 60}\n" + "linha de log de build\n" * 40)

    web, base = harness.start_web()
    results: dict[str, dict] = {}
    with harness.stopping(web):
        session = harness.login(base, "bench-web")
        page = session.get(f"{base}/questionarios/tentativas/{attempt.pk}/")
        assert page.status_code == 200 and f'name="q{question.pk}"' in page.text, "the quiz page did not render"
        cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        csrf = session.cookies["csrftoken"]
        logged_in = {"Cookie": cookies}
        htmx = {**logged_in, "HX-Request": "true"}
        autosave = (
            f'wrk.method = "POST"\nwrk.body = "q{question.pk}={choice.pk}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.headers["X-CSRFToken"] = "{csrf}"\n'
        )
        probe = session.post(
            f"{base}/questionarios/tentativas/{attempt.pk}/respostas/{question.pk}/",
            data={f"q{question.pk}": choice.pk},
            headers={"X-CSRFToken": csrf, "HX-Request": "true"},
        )
        assert probe.status_code == 200, f"autosave refused: {probe.status_code}"
        # The page, then the poll it sends every second: with the offset its log has reached,
        # so a poll while nothing new was logged sends the status only.
        detail = session.get(f"{base}/laboratorios/entregas/{submission.pk}/")
        assert detail.status_code == 200 and "linha de log de build" in detail.text, (
            "the submission page did not render"
        )
        poll_url = base + html.unescape(re.search(r'hx-get="([^"]+)"', detail.text)[1])
        poll = session.get(poll_url, headers={"HX-Request": "true"})
        assert poll.status_code == 200 and 'id="submission-status"' in poll.text, "the status poll did not render"
        endpoints = {
            "trivial view (`/healthz`)": (f"{base}/healthz", {}, None),
            f"quiz page (GET, {len(attempt.question_order)} questions on one page)": (
                f"{base}/questionarios/tentativas/{attempt.pk}/",
                logged_in,
                None,
            ),
            "answer autosave (htmx POST)": (
                f"{base}/questionarios/tentativas/{attempt.pk}/respostas/{question.pk}/",
                htmx,
                autosave,
            ),
            "submission status poll (htmx GET, following a 64 KB live log)": (poll_url, htmx, None),
        }
        # The baseline first and last: the ratio uses their mean, so drift hits both sides.
        order = list(endpoints) + [next(iter(endpoints))]
        baseline_runs = []
        for index, name in enumerate(order):
            url, headers, script = endpoints[name]
            result = wrk(url, seconds=args.seconds, headers=headers, script=script)
            print(name, result)
            if name == order[0]:
                baseline_runs.append(result)
            results[f"{name} (again, last)" if index and name == order[0] else name] = result
    live.clear()
    baseline = sum(r["rps"] for r in baseline_runs) / len(baseline_runs)
    quiz_name = list(endpoints)[1]
    rows = []
    for name, result in results.items():
        rows.append(
            f"| {name} | {result['rps']:.0f} | {result['rps'] / baseline:.0%} | {result['p50']:.1f} | "
            f"{result['p99']:.1f} | {result['non_2xx']}{' ' + result['errors'] if result['errors'] else ''} |"
        )
    quiz_ratio, quiz_p99 = results[quiz_name]["rps"] / baseline, results[quiz_name]["p99"]
    body = (
        f"wrk on loopback, {CONNECTIONS} connections, 2 threads, {args.seconds} s per endpoint, against gunicorn as "
        "`make run` starts it (2 workers × 4 threads), SQLite in WAL mode, Redis for the live log. wrk shares the "
        f"machine's cores with the server. Baseline: the mean of the trivial view's two runs (first and last), "
        f"{baseline:.0f} requests/s.\n\n"
        "| endpoint | requests/s | of the trivial view | p50 (ms) | p99 (ms) | non-2xx / errors |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nQuiz page: **{quiz_ratio:.0%}** of the trivial view's throughput (goal ≥ 50 %: "
        f"{'met' if quiz_ratio >= 0.5 else 'missed'}), p99 **{quiz_p99:.1f} ms** (goal < 100 ms: "
        f"{'met' if quiz_p99 < 100 else 'missed'})."
    )
    harness.write_results("web", "3. The web under load", body)


if __name__ == "__main__":
    main()
