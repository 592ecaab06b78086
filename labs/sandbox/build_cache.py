"""Bounding the legacy builder's cache: least-recently-used eviction of untagged step images.

The legacy builder's cache *is* the chain of untagged parent images that builds leave
behind (submission images are removed with noprune so that chain survives). Nothing else
bounds it, so the trim here deletes the least recently used of those images until the
cache fits a budget:

- only an untagged image that no tagged image stands on is cache; the rest (the labs'
  bases, a submission being graded, anything someone tagged) is never touched and is not
  counted. Bases are known by their tags (python:3.11-slim, estaleiro/root:<key>), not by
  their labels (estaleiro.base.key, ...): every image built on a base inherits those, and
  a learner's LABEL can write them, so a label would let a submission pin disk forever.
  A base that a newer prepare_sandbox untagged is garbage like the rest once unused;
- only a leaf goes (no child image, no container): deleting a middle link would cut its
  descendants off, and the daemon refuses anyway. A leaf's parent may then become a leaf;
- "recently used" is when a build last made or hit the image, recorded by the workers in
  Redis (see BuildCacheUsage), else the image's creation time. A build that hit a child
  went through its parent too, and both get the time; a parent only becomes a leaf once
  its children are gone, so a chain goes from its tip, oldest chains first.

Image sizes of the legacy store are cumulative (an image's Size includes its parents'),
so an image's own share is its Size minus its parent's.
"""

import hashlib
import heapq
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import docker
import redis
from docker.errors import APIError, NotFound

from .faults import PlatformError, api_error_text, daemon_errors

log = logging.getLogger(__name__)

USAGE_KEY_PREFIX = "estaleiro:build-cache-used:"
# A daemon that is gone (a recreated dind container) leaves its hash behind; let it go.
USAGE_TTL_SECONDS = 30 * 24 * 3600
# Recording happens on every build: a Redis that hangs must not hold the grading up.
REDIS_TIMEOUT_SECONDS = 1.0
# A build in flight may be about to start its next step from an image it has just made:
# images this fresh are left alone (as the most recently used, they would go last anyway).
IN_FLIGHT_GRACE_SECONDS = 120


def short_id(image_id: str) -> str:
    """The 12-hex form the build stream prints; the usage hash is keyed by it."""
    return image_id.removeprefix("sha256:")[:12]


@dataclass
class _Entry:
    id: str
    parent: str
    own_bytes: int
    last_used: float
    children: int = 0


def build_cache_trim(
    client: docker.DockerClient,
    *,
    max_bytes: int,
    used_at: Mapping[str, float] | None = None,
    min_idle_seconds: float = 0.0,
    now: float | None = None,
    free_bytes: int = 0,
) -> dict[str, Any]:
    """Delete least-recently-used cache leaves until the cache is at most max_bytes and at
    least free_bytes were freed (a grading that finds the disk too full asks for room).

    used_at maps image ids (full or short) to the epoch seconds of their last use. Images
    used less than min_idle_seconds ago are spared: a build in flight may be about to
    create its next step from one. Returns counts, and `stale_ids`: keys of used_at that
    name no image any more (the caller may forget them)."""
    api = client.api
    now = time.time() if now is None else now
    used_at = {short_id(key): value for key, value in (used_at or {}).items()}
    with daemon_errors("list images"):
        images = api.images(all=True)
    with daemon_errors("list containers"):
        in_use = {short_id(c.get("ImageID") or "") for c in api.containers(all=True)}
    cache = _cache_entries(images, used_at)
    before = total = sum(entry.own_bytes for entry in cache.values())
    present = {short_id(image["Id"]) for image in images}
    counts: dict[str, Any] = {"removed": 0, "skipped": 0, "freed_bytes": 0, "cache_bytes_before": before}

    leaves = [(e.last_used, e.id) for e in cache.values() if e.children == 0 and short_id(e.id) not in in_use]
    heapq.heapify(leaves)
    while (total > max_bytes or counts["freed_bytes"] < free_bytes) and leaves:
        last_used, image_id = heapq.heappop(leaves)
        if now - last_used < min_idle_seconds:
            break  # every other leaf is as recent or more
        entry = cache[image_id]
        if not delete_image(api, image_id, force=False):
            counts["skipped"] += 1
            continue
        present.discard(short_id(image_id))
        total -= entry.own_bytes
        counts["removed"] += 1
        counts["freed_bytes"] += entry.own_bytes
        parent = cache.get(entry.parent)
        if parent is not None:
            parent.children -= 1
            if parent.children == 0 and short_id(parent.id) not in in_use:
                heapq.heappush(leaves, (parent.last_used, parent.id))
    counts["cache_bytes_after"] = total
    counts["max_bytes"] = max_bytes
    if counts["removed"] or counts["skipped"] or total > max_bytes:
        log.info("build cache trim: %s", counts)
    counts["stale_ids"] = sorted(set(used_at) - present)
    return counts


def _is_tagged(image: dict[str, Any]) -> bool:
    tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
    # A pulled image can lose its tag and keep its digest: a registry image, not cache.
    digests = [d for d in image.get("RepoDigests") or [] if not d.startswith("<none>@")]
    return bool(tags or digests)


def _cache_entries(images: list[dict[str, Any]], used_at: Mapping[str, float]) -> dict[str, _Entry]:
    by_id = {image["Id"]: image for image in images}
    protected: set[str] = set()
    for image_id in [i["Id"] for i in images if _is_tagged(i)]:
        while image_id and image_id not in protected:
            protected.add(image_id)
            image_id = (by_id.get(image_id) or {}).get("ParentId") or ""

    cache: dict[str, _Entry] = {}
    for image in images:
        if image["Id"] in protected:
            continue
        parent_id = image.get("ParentId") or ""
        parent = by_id.get(parent_id)
        size = int(image.get("Size") or 0)
        # Unknown parent (not listed): count the whole size rather than nothing.
        own = max(0, size - int(parent.get("Size") or 0)) if parent else size
        used = max(float(image.get("Created") or 0), float(used_at.get(short_id(image["Id"]), 0)))
        cache[image["Id"]] = _Entry(id=image["Id"], parent=parent_id, own_bytes=own, last_used=used)
    for image in images:
        entry = cache.get(image.get("ParentId") or "")
        if entry is not None:
            entry.children += 1
    return cache


def delete_image(api: docker.APIClient, image: str, *, force: bool) -> bool:
    """Remove an image (by id or tag) but never its parents, which are the build cache.
    True when it is gone; False when the daemon keeps it (in use, has children)."""
    name = short_id(image) if image.startswith("sha256:") else image
    try:
        with daemon_errors("remove image"):
            api.remove_image(image, force=force, noprune=True)
    except NotFound:
        return True
    except APIError as exc:
        if exc.status_code == 409:
            log.info("image %s kept: %s", name, api_error_text(exc))
            return False
        raise PlatformError(f"remove image {name}: {api_error_text(exc)}") from exc
    return True


# -- last-use times, shared by every worker process of a grading host -------------------------


def daemon_usage_key(client: docker.DockerClient) -> str:
    """The Redis key of one sandbox daemon's usage hash.

    Grading hosts share one Redis and usually reach their own daemon by the same address
    (tcp://sandbox:2376 in Compose, /var/lib/docker inside it), so neither names a daemon.
    The daemon's ID does (docker:dind makes one per container); the data-root is added
    because a host's own engine and its sandbox daemon may share an ID (the same key.json)."""
    with daemon_errors("daemon info"):
        info = client.api.info()
    identity = f"{info.get('ID', '')}|{info.get('DockerRootDir', '')}"
    return USAGE_KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:16]


class BuildCacheUsage:
    """When each cache image of one daemon was last used, in a Redis hash (short id ->
    epoch seconds). Best-effort both ways: a Redis that fails loses some history (the trim
    then falls back to creation times), never a grading."""

    def __init__(self, redis_url: str, *, key: str):
        self.redis_url, self.key = redis_url, key

    def _redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )

    def record(self, image_ids: Iterable[str], *, when: float | None = None) -> bool:
        stamp = time.time() if when is None else when
        mapping = {short_id(image_id): stamp for image_id in image_ids if image_id}
        if not mapping:
            return True
        try:
            with self._redis() as conn:
                pipe = conn.pipeline(transaction=False)
                pipe.hset(self.key, mapping=mapping)
                pipe.expire(self.key, USAGE_TTL_SECONDS)
                pipe.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("build cache: could not record use in %s: %s", self.key, exc)
            return False
        return True

    def load(self) -> dict[str, float]:
        try:
            with self._redis() as conn:
                raw = conn.hgetall(self.key)
        except (redis.RedisError, OSError) as exc:
            log.warning("build cache: could not read use times from %s: %s", self.key, exc)
            return {}
        found = {}
        for image_id, stamp in raw.items():
            try:
                found[image_id.decode()] = float(stamp)
            except (UnicodeDecodeError, ValueError):
                continue
        return found

    def forget(self, image_ids: Iterable[str]) -> None:
        ids = [short_id(image_id) for image_id in image_ids]
        if not ids:
            return
        try:
            with self._redis() as conn:
                conn.hdel(self.key, *ids)
        except (redis.RedisError, OSError) as exc:
            log.warning("build cache: could not forget old entries in %s: %s", self.key, exc)


def default_usage_url() -> str | None:
    """Where workers record use: the Celery broker's Redis, which every worker process of
    a grading host already reaches. None outside a configured Django or without Redis."""
    try:
        from django.conf import settings

        # `configured` stays False until something reads a setting, even with the module set.
        if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
            return None
        url = str(settings.CELERY_BROKER_URL)
    except Exception:  # noqa: BLE001 - no Django, or settings that cannot load: no history
        return None
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None
