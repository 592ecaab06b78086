"""Connection to the dedicated sandbox Docker daemon (never the host's own engine)."""

from dataclasses import dataclass

import docker
from docker.errors import DockerException

from labs.grading.ports import SandboxFault


class SandboxUnavailable(SandboxFault):
    """The sandbox daemon cannot be reached: a platform fault, never the learner's."""


def connect(base_url: str, *, timeout: int = 60) -> docker.DockerClient:
    """A client for the daemon at base_url; raises SandboxUnavailable when it does not answer."""
    try:
        client = docker.DockerClient(base_url=base_url, timeout=timeout, version="auto")
        client.ping()
    except (DockerException, OSError) as exc:
        raise SandboxUnavailable(f"sandbox daemon at {base_url} unreachable: {exc}") from exc
    return client


@dataclass(frozen=True)
class DaemonStatus:
    reachable: bool
    version: str = ""
    userns: bool = False
    images: int = 0
    containers: int = 0
    disk_bytes: int = 0  # image layers and containers on the sandbox's own filesystem
    error: str = ""


def daemon_status(base_url: str) -> DaemonStatus:
    try:
        client = connect(base_url, timeout=5)
    except SandboxUnavailable as exc:
        return DaemonStatus(reachable=False, error=str(exc))
    try:
        info = client.info()
        usage = client.df()
    except (DockerException, OSError) as exc:
        return DaemonStatus(reachable=False, error=str(exc))
    finally:
        client.close()
    return DaemonStatus(
        reachable=True,
        version=info.get("ServerVersion", ""),
        userns=any("userns" in opt for opt in info.get("SecurityOptions", [])),
        images=info.get("Images", 0),
        containers=info.get("Containers", 0),
        disk_bytes=(usage.get("LayersSize") or 0) + sum(c.get("SizeRw") or 0 for c in usage.get("Containers") or []),
    )
