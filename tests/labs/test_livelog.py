"""The live build log through the real Redis: appended by the worker, its tail read by the page."""

import uuid

import pytest

from labs.livelog import LiveLog, LogSlice, live_log_since

pytestmark = pytest.mark.redis


def since(submission_id: int, *, offset: int | None, max_bytes: int) -> LogSlice:
    """What the page reads; None (Redis not answering) fails the test here."""
    read = live_log_since(submission_id, offset=offset, max_bytes=max_bytes)
    assert read is not None, "Redis did not answer"
    return read


def test_the_page_reads_the_tail_of_what_the_worker_appended(redis_url):
    submission_id = 10**9 + uuid.uuid4().int % 10**6
    live = LiveLog(submission_id, owner="run-1")
    live.start()
    line = "Step {}/200 : RUN echo ação → ✓\n"
    try:
        for step in range(200):
            live.append(line.format(step))
        tail = since(submission_id, offset=None, max_bytes=100)
        # Whole lines only: a line (or a multi-byte character) cut by the byte limit is left out.
        assert tail.skipped and tail.text == line.format(198) + line.format(199) and "\ufffd" not in tail.text
        assert len(tail.text.encode()) <= 100
        whole = since(submission_id, offset=None, max_bytes=10**6)
        assert not whole.skipped and whole.text.startswith("Step 0/200") and whole.text.count("\n") == 200
    finally:
        live.clear()
    assert since(submission_id, offset=None, max_bytes=100).text == ""


def test_the_page_appends_whole_lines_from_where_it_stopped(redis_url):
    submission_id = 10**9 + uuid.uuid4().int % 10**6
    live = LiveLog(submission_id, owner="run-1")
    live.start()
    try:
        assert since(submission_id, offset=None, max_bytes=1000).text == ""
        live.append("Step 1/3 : FROM python:3.11-slim\n")
        live.append("Step 2/3 : RUN echo ação")  # a line still being written
        first = since(submission_id, offset=None, max_bytes=1000)
        assert first.text == "Step 1/3 : FROM python:3.11-slim\n" and first.restart and not first.skipped
        assert first.end == len(first.text.encode())
        nothing = since(submission_id, offset=first.end, max_bytes=1000)
        assert nothing.text == "" and nothing.end == first.end and not nothing.restart
        live.append(" → ✓\nStep 3/3 : CMD\n")
        more = since(submission_id, offset=first.end, max_bytes=1000)
        assert more.text == "Step 2/3 : RUN echo ação → ✓\nStep 3/3 : CMD\n" and not more.restart
        # A reader far behind (a flood) jumps to the tail, at a line's start, and is told so.
        live.append("".join(f"linha {n} ✓\n" for n in range(1000)))
        behind = since(submission_id, offset=more.end, max_bytes=200)
        assert behind.skipped and not behind.restart and behind.text.startswith("linha ")
        assert behind.text.endswith("linha 999 ✓\n") and len(behind.text.encode()) <= 200
        # The log began anew (a retry cleared it): shorter than the offset, so a restart.
        live.start()
        live.append("Step 1/3 : FROM python:3.11-slim\n")
        again = since(submission_id, offset=behind.end, max_bytes=1000)
        assert again.restart and again.text == "Step 1/3 : FROM python:3.11-slim\n"
    finally:
        live.clear()


def test_only_the_run_that_owns_the_log_writes_it(redis_url):
    """A run the watchdog replaced (its worker slow, not dead) keeps streaming: its lines
    must not land in the log of the run that replaced it, nor may its clean-up drop it."""
    submission_id = 10**9 + uuid.uuid4().int % 10**6
    stale, current = LiveLog(submission_id, owner="run-1"), LiveLog(submission_id, owner="run-2")
    try:
        stale.start()
        stale.append("Step 1/2 : FROM python:3.11-slim\n")
        current.start()
        current.append("Step 1/2 : FROM python:3.11-slim\n")
        stale.append("Step 2/2 : RUN echo stale\n")
        stale.clear()
        current.append("Step 2/2 : RUN echo current\n")
        text = since(submission_id, offset=None, max_bytes=1000).text
        assert text == "Step 1/2 : FROM python:3.11-slim\nStep 2/2 : RUN echo current\n"
    finally:
        current.clear()
    assert since(submission_id, offset=None, max_bytes=100).text == ""
