"""Fixed-window counters in Django's cache for sign-ups and password resets.

The cache is Redis wherever more than one process serves the site (see CACHES in
settings), so every gunicorn worker counts together. Login failures are django-axes'."""

import hashlib
import logging

from django.core.cache import cache

log = logging.getLogger(__name__)


def throttle_allow(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one more attempt for (scope, key); False once `limit` attempts fall in `window` seconds.

    A cache that does not answer lets the attempt through (and says so in the log): locking
    every learner out of sign-up and reset while Redis restarts would be worse than a few
    minutes without a throttle."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    name = f"throttle:{scope}:{digest}"
    try:
        cache.add(name, 0, timeout=window)
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this attempt starts a new window
        cache.set(name, 1, timeout=window)
        count = 1
    except Exception as exc:  # noqa: BLE001 — any cache backend's connection error
        log.warning("throttle %s not counted, the cache did not answer: %s", scope, exc)
        return True
    return count <= limit
