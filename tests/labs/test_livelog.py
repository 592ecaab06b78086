"""The live build log through the real Redis: appended by the worker, its tail read by the page."""

import uuid

import pytest

from labs.livelog import LiveLog, live_log_read

pytestmark = pytest.mark.redis


def test_the_page_reads_the_tail_of_what_the_worker_appended(redis_url):
    submission_id = 10**9 + uuid.uuid4().int % 10**6
    live = LiveLog(submission_id)
    try:
        for step in range(200):
            live.append(f"Step {step}/200 : RUN echo ação → ✓\n")
        tail = live_log_read(submission_id, max_chars=100)
        assert len(tail) == 100 and tail.endswith("Step 199/200 : RUN echo ação → ✓\n")
        assert "\ufffd" not in tail  # a multi-byte character cut in half is not shown
        whole = live_log_read(submission_id, max_chars=10**6)
        assert whole.startswith("Step 0/200") and whole.count("\n") == 200
    finally:
        live.clear()
    assert live_log_read(submission_id, max_chars=100) == ""
