"""Telling the platform's failures from the learner's.

A learner whose build broke because the daemon restarted, or because another build filled
the disk, must not lose an attempt: such failures become `SandboxFault`s (retried by the
task) instead of verdicts. What decides is what the platform observed — the daemon call's
status, whether the daemon still answers, the filesystem's free space — never the text of
a message, which may quote the learner's own Dockerfile or output.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import requests
import urllib3
from docker import APIClient
from docker.errors import APIError, DockerException, NotFound

from labs.grading.ports import SandboxFault

from .client import SandboxUnavailable


class PlatformError(SandboxFault):
    """The daemon answered, but failed for a reason that is not the learner's."""


def api_error_text(exc: APIError) -> str:
    return str(getattr(exc, "explanation", None) or exc)


@contextmanager
def daemon_errors(what: str, *, server_errors_are_platform: bool = True) -> Iterator[None]:
    """Turn "the daemon is gone" into SandboxUnavailable and daemon-side failures (5xx) into
    PlatformError, so callers outside this package never see docker-py's exceptions.
    NotFound and other 4xx errors pass through: they mean something to the caller. Some 5xx
    are the learner's (starting an image whose USER does not exist answers 500), so a caller
    may ask to see every APIError itself."""
    try:
        yield
    except NotFound:
        raise
    except APIError as exc:
        if server_errors_are_platform and exc.status_code is not None and exc.status_code >= 500:
            raise PlatformError(f"{what}: {api_error_text(exc)}") from exc
        raise
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise SandboxUnavailable(f"{what}: sandbox daemon unreachable: {exc}") from exc
    except DockerException as exc:
        raise SandboxUnavailable(f"{what}: {exc}") from exc


def remove_container(api: APIClient, container_id: str, *, what: str = "remove container") -> bool:
    """Force-remove a container (SIGKILL at once: an app that ignores SIGTERM cannot delay
    it) with its anonymous volumes. True when this call removed it; False when it was
    already gone or its removal is already in progress (409)."""
    try:
        with daemon_errors(what):
            api.remove_container(container_id, force=True, v=True)
    except NotFound:
        return False
    except APIError as exc:
        if exc.status_code == 409:
            return False
        raise PlatformError(f"{what}: {api_error_text(exc)}") from exc
    return True
