"""Docker's image references: how two spellings of one image compare (python:3.11-slim, docker.io/library/...).

The one parser of them: the Dockerfile gate and rules (labs/grading) and the docker-command
questions (quizzes/docker_command.py) both read references here."""

import re
from dataclasses import dataclass

_REF_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::\d+)?)"
_REF_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REF = re.compile(
    rf"^(?:(?P<domain>{_REF_DOMAIN})/)?(?P<path>{_REF_COMPONENT}(?:/{_REF_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$"
)
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io" for Docker Hub
    repository: str  # "library/python"
    tag: str | None
    digest: str | None

    @property
    def canonical(self) -> str:
        """The form two spellings of one image share: docker.io/library/python:3.11-slim."""
        return f"{self.registry}/{self.repository}:{self.tag or 'latest'}"

    @property
    def reference(self) -> str:
        """The whole reference as the daemon resolves it: the tag defaults to latest only when
        no digest pins the image (docker.io/library/python@sha256:...)."""
        tag = f":{self.tag}" if self.tag else "" if self.digest else ":latest"
        return f"{self.registry}/{self.repository}{tag}" + (f"@{self.digest}" if self.digest else "")

    @property
    def short(self) -> str:
        """How a learner would write it: python:3.11-slim."""
        repo = (
            self.repository.removeprefix("library/")
            if self.registry == "docker.io"
            else f"{self.registry}/{self.repository}"
        )
        return f"{repo}:{self.tag}" if self.tag else repo

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]


def parse_image_ref(text: str) -> ImageRef | None:
    """Docker's normalisation of an image reference, or None when it is not one."""
    match = _IMAGE_REF.match(text.strip())
    if not match:
        return None
    domain, path = match["domain"], match["path"]
    # Like Docker: a first component is a registry only if it looks like a host name.
    if domain and not ("." in domain or ":" in domain or domain == "localhost"):
        path, domain = f"{domain}/{path}", None
    registry = "docker.io" if domain is None or domain in _DOCKER_HUB else domain
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return ImageRef(registry, path, match["tag"], match["digest"])
