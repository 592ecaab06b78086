"""The build log of a submission in flight, shared through Redis so the web process can
show it while a worker writes it. The database keeps the final copy; losing Redis only
loses the live view of work in progress."""

import redis
from django.conf import settings

TTL_SECONDS = 3600


def _conn() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=3, socket_connect_timeout=3)


def _key(submission_id: int) -> str:
    return f"estaleiro:livelog:{submission_id}"


class LiveLog:
    """Appends chunks for one submission; a Redis failure never stops grading."""

    def __init__(self, submission_id: int):
        self.key = _key(submission_id)
        self.conn = _conn()
        self.broken = False

    def append(self, chunk: str) -> None:
        if self.broken or not chunk:
            return
        try:
            pipe = self.conn.pipeline()
            # One string per submission: a reader takes its tail with GETRANGE, without
            # fetching the whole log on every poll.
            pipe.append(self.key, chunk.encode("utf-8"))
            pipe.expire(self.key, TTL_SECONDS)
            pipe.execute()
        except redis.RedisError:
            self.broken = True

    def clear(self) -> None:
        try:
            self.conn.delete(self.key)
        except redis.RedisError:
            pass


def live_log_read(submission_id: int, *, max_chars: int) -> str:
    """What the worker has streamed so far (its tail), or '' when Redis has nothing."""
    try:
        # Up to 4 bytes a character: enough bytes for max_chars, cut to size once decoded.
        data = _conn().getrange(_key(submission_id), -4 * max_chars, -1)
    except redis.RedisError:  # unreachable, or a key of another shape: no live view
        return ""
    return data.decode("utf-8", "replace")[-max_chars:]
