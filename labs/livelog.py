"""The build log of a submission in flight, shared through Redis so the web process can
show it while a worker writes it. The database keeps the final copy; losing Redis only
loses the live view of work in progress."""

from dataclasses import dataclass
from typing import cast

import redis
from django.conf import settings

TTL_SECONDS = 3600


def _conn() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=3, socket_connect_timeout=3)


def _key(submission_id: int) -> str:
    return f"estaleiro:livelog:{submission_id}"


# Append only while this run owns the log: a run the watchdog gave up on (its worker only
# slow, not dead) must not write into the log of the run that replaced it.
_APPEND_IF_OWNER = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('APPEND', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""


class LiveLog:
    """Appends chunks for one grading run of a submission; a Redis failure never stops
    grading. `owner` is the run's token: `start()` makes the run the log's owner, and
    appends of any other run are dropped."""

    def __init__(self, submission_id: int, *, owner: str = ""):
        self.key = _key(submission_id)
        self.owner_key = self.key + ":owner"
        self.owner = owner
        self.conn = _conn()
        self.broken = False

    def start(self) -> None:
        """Begin the log anew, owned by this run."""
        try:
            pipe = self.conn.pipeline()
            pipe.delete(self.key)
            pipe.set(self.owner_key, self.owner, ex=TTL_SECONDS)
            pipe.execute()
        except redis.RedisError:
            self.broken = True

    def append(self, chunk: str) -> None:
        if self.broken or not chunk:
            return
        try:
            # One string per submission: a reader takes its tail with GETRANGE, without
            # fetching the whole log on every poll.
            self.conn.eval(
                _APPEND_IF_OWNER, 2, self.key, self.owner_key, self.owner, chunk.encode("utf-8"), TTL_SECONDS
            )
        except redis.RedisError:
            self.broken = True

    def clear(self) -> None:
        """Drop the log (the database holds the final copy), if this run still owns it."""
        try:
            if self.conn.get(self.owner_key) in (None, self.owner.encode()):
                self.conn.delete(self.key, self.owner_key)
        except redis.RedisError:
            pass


@dataclass(frozen=True)
class LogSlice:
    """Whole lines of a live log, and where the next read starts."""

    text: str
    end: int  # byte offset just past the last line in `text`
    restart: bool  # the lines replace what the reader has (first view, or the log began anew)
    skipped: bool  # lines before `text` were left out (a long log, or a reader that fell behind)


def live_log_since(submission_id: int, *, offset: int | None, max_bytes: int) -> LogSlice | None:
    """The whole lines streamed since byte `offset`, for a page that appends them to what it
    shows; `offset=None` is a first view (the tail, at most max_bytes). A log shorter than
    the offset began anew (cleared for a retry, or Redis restarted): the reader gets the
    tail again, flagged `restart`. A line still being written waits for the next read, so
    every slice ends at a line's end (and a UTF-8 character's). None when Redis cannot be
    asked."""
    key = _key(submission_id)
    try:
        conn = _conn()
        length = conn.strlen(key)
        restart = offset is None or offset > length
        start = max(0, length - max_bytes) if offset is None or restart else offset
        skipped = start > 0 and restart
        if length - start > max_bytes:  # behind by more than one slice: jump to the tail
            start, skipped = length - max_bytes, True
        # Bytes: the connection does not decode (decode_responses is off).
        data = cast(bytes, conn.getrange(key, start, length - 1)) if length > start else b""
    except redis.RedisError:
        return None
    if skipped:  # the slice starts inside a line: drop its first, partial one
        newline = data.find(b"\n")
        start, data = (start + newline + 1, data[newline + 1 :]) if newline >= 0 else (start + len(data), b"")
    last = data.rfind(b"\n")
    data = data[: last + 1] if last >= 0 else b""
    return LogSlice(text=data.decode("utf-8", "replace"), end=start + len(data), restart=restart, skipped=skipped)
