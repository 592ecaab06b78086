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
            pipe.rpush(self.key, chunk)
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
        chunks = _conn().lrange(_key(submission_id), 0, -1)
    except redis.RedisError:
        return ""
    text = b"".join(chunks).decode("utf-8", "replace")
    return text[-max_chars:]
