"""Connection to the dedicated sandbox Docker daemon (never the host's own engine)."""

import os
from dataclasses import dataclass

import docker
import requests
from docker.errors import DockerException
from docker.tls import TLSConfig

from labs.grading.ports import SandboxFault


class SandboxUnavailable(SandboxFault):
    """The sandbox daemon cannot be reached: a platform fault, never the learner's."""


def _tls(base_url: str) -> TLSConfig | bool:
    """TLS for a tcp:// sandbox (docker:dind in Compose) from DOCKER_TLS_VERIFY and
    DOCKER_CERT_PATH, read as the docker CLI reads them. docker-py's kwargs_from_env would
    take DOCKER_TLS_VERIFY=0 as "on", hence the explicit parsing."""
    if not base_url.startswith(("tcp://", "https://")):
        return False
    cert_path = os.environ.get("DOCKER_CERT_PATH", "")
    verify = os.environ.get("DOCKER_TLS_VERIFY", "") not in ("", "0")
    if not verify and not cert_path:
        return False
    cert_path = cert_path or os.path.expanduser("~/.docker")
    return TLSConfig(
        client_cert=(os.path.join(cert_path, "cert.pem"), os.path.join(cert_path, "key.pem")),
        ca_cert=os.path.join(cert_path, "ca.pem") if verify else None,
        verify=verify,
    )


def connect(base_url: str, *, timeout: int = 60) -> docker.DockerClient:
    """A client for the daemon at base_url; raises SandboxUnavailable when it does not answer."""
    try:
        client = docker.DockerClient(base_url=base_url, timeout=timeout, version="auto", tls=_tls(base_url))
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
    disk_bytes: int | None = 0  # image layers and containers on its own filesystem; None: not measured this time
    data_root: str = ""
    error: str = ""


def daemon_status(base_url: str, *, timeout: int = 5) -> DaemonStatus:
    try:
        client = connect(base_url, timeout=timeout)
    except SandboxUnavailable as exc:
        return DaemonStatus(reachable=False, error=str(exc))
    try:
        info = client.info()
    except (DockerException, OSError) as exc:
        return DaemonStatus(reachable=False, error=str(exc))
    try:
        # Disk usage walks every layer and container: a daemon busy removing images (the
        # janitor) can take longer than the report may wait. It answered info(): it is up,
        # and the disk figure is left out this time.
        client.api.timeout = max(1, timeout // 2)
        usage = client.df()
        disk = (usage.get("LayersSize") or 0) + sum(c.get("SizeRw") or 0 for c in usage.get("Containers") or [])
    except (DockerException, OSError, requests.exceptions.RequestException):
        disk = None
    finally:
        client.close()
    return DaemonStatus(
        reachable=True,
        version=info.get("ServerVersion", ""),
        userns=any("userns" in opt for opt in info.get("SecurityOptions", [])),
        images=info.get("Images", 0),
        containers=info.get("Containers", 0),
        disk_bytes=disk,
        data_root=info.get("DockerRootDir", ""),
    )
