"""`make bench-class`'s harness works end to end: `bench/class.py --quick` makes a scratch
database on the PostgreSQL server, sets up the classes, serves them with gunicorn, and every
kind of request its learners make is answered through the real URLs, with nothing left
behind. No time is asserted: measuring is the benchmark's, on a machine of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.workers import database_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parent.parent
# What each simulated learner asks for (bench/class.py's KINDS), and the baseline.
KINDS = ["quiz", "start", "attempt", "autosave", "lab", "submission", "poll", "healthz"]


def server_url() -> str:
    """The PostgreSQL server the tests use, reached through its maintenance database."""
    url = database_env()["DATABASE_URL"]
    return url.rsplit("/", 1)[0] + "/postgres"


def test_quick_run_answers_every_request_and_drops_its_database(tmp_path, redis_url):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the class benchmark runs on PostgreSQL: make test runs it in its second pass")
    results = ROOT / "docs" / "BENCHMARKS.md"
    before = results.read_text()
    figures = tmp_path / "class.json"

    done = subprocess.run(
        [sys.executable, "bench/class.py", "--quick", "--json", str(figures)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": server_url()},
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    data = json.loads(figures.read_text())
    runs = data["runs"]
    assert [run["learners"] for run in runs] == [4, 8]
    for kind in KINDS:
        assert sum(run["kinds"][kind]["requests"] for run in runs) > 0, f"no {kind} request was made"
    assert [run["errors"] for run in runs] == [0, 0], [run["error_examples"] for run in runs]
    assert all(run["kinds"]["healthz"]["requests"] > 0 for run in runs), "the baseline is measured in every step"
    # Its scratch database is gone, and the results page is written only by a full run.
    assert data["database"]["name"].startswith("estaleiro_bench_class_")
    with psycopg.connect(server_url()) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname = %s", [data["database"]["name"]]).fetchall()
    assert left == []
    assert results.read_text() == before
