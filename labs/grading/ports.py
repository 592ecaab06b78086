"""What the grading engine needs from a sandbox. labs/sandbox/ implements it with Docker;
tests may fake it. Nothing here imports Docker or Django."""

from collections.abc import Callable
from typing import Any, Protocol

from .types import BuildOutcome, ExecOutcome, HttpOutcome, ImageFacts, Limits


class SandboxFault(RuntimeError):
    """The sandbox failed (daemon unreachable, out of disk...): a platform fault, never the
    learner's. Sandbox implementations raise it, or a subclass, for such failures."""


class ContainerRefused(Exception):
    """The learner's image cannot be run as it is (e.g. it declares more volumes than the
    sandbox mounts): the learner's failure, told with a message of the engine's catalogue."""

    def __init__(self, message_id: str, **params: Any):
        super().__init__(message_id, params)
        self.message_id = message_id
        self.params = params


class Container(Protocol):
    """A running, hardened container of the learner's image."""

    def exec(self, argv: list[str], *, timeout: float) -> ExecOutcome: ...

    def http(
        self, *, method: str, port: int, path: str, body: str | None, headers: dict[str, str], timeout: float
    ) -> HttpOutcome:
        """An HTTP request made from inside the container's own network namespace."""

    def read_file(self, path: str, *, max_bytes: int) -> bytes | None: ...

    def is_running(self) -> bool: ...

    def logs(self, *, max_bytes: int) -> str: ...

    def remove(self) -> None: ...


class Sandbox(Protocol):
    def begin(self, *, limits: Limits, labels: dict[str, str], bases: list[str]) -> None:
        """Open one grading's budget (every build and container until end() shares its
        caps) with the lab's allowed bases, which builds are held to by image ID."""

    def end(self) -> None: ...

    def build(
        self,
        *,
        files: dict[str, bytes],
        tag: str,
        limits: Limits,
        labels: dict[str, str],
        on_log: Callable[[str], None] | None = None,
    ) -> BuildOutcome:
        """Build the validated context `files` (path -> content, 'Dockerfile' included)."""

    def image_facts(self, image: str, *, base: str | None = None) -> ImageFacts: ...

    def start(self, *, image: str, limits: Limits, labels: dict[str, str]) -> Container: ...

    def remove_image(self, image: str) -> None:
        """Remove the submission's image but keep its parents: they are the build cache."""

    def discard_build(self, outcome: BuildOutcome) -> int:
        """Remove the layers a failed or rejected build made; returns how many went."""
