"""Plain data shared by the grading engine and the sandbox (no Django, no docker SDK)."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

# Every image a submission's build makes is tagged in this repository, so the sandbox can
# find it (cleanup, janitor) without a build label.
SUBMISSION_IMAGE_REPO = "estaleiro-sub"


def submission_image(submission_id: str, run_token: str) -> str:
    """The tag of one grading run's image. The run token (random, 128 bits) makes it
    unguessable, so no other build can name it (`FROM`, `COPY --from`) while it exists,
    and it tells one run's image from another's of the same submission."""
    return f"{SUBMISSION_IMAGE_REPO}/{submission_id}-{run_token}:latest"


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # not run because an earlier phase failed (e.g. the build)


@dataclass(frozen=True)
class Finding:
    """What a static rule found: passed or not, a message id with its parameters, a line."""

    passed: bool
    message_id: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    output: str = ""


@dataclass(frozen=True)
class Limits:
    """What one grading may use. The one declaration of every limit: its default here, and
    the bounds a lab author may write in `limits:` of lab.yaml as the field's constraints,
    which the lab spec enforces when it validates (pydantic reads them from the annotations).
    Built directly, as the sandbox and its tests do, nothing is checked: a test may ask for
    a 3-second build."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    build_seconds: Annotated[int, Field(ge=5, le=1800)] = 300
    run_seconds: Annotated[int, Field(ge=5, le=600)] = 60
    memory_mb: Annotated[int, Field(ge=32, le=8192)] = 512
    cpus: Annotated[float, Field(gt=0, le=8)] = 1.0
    pids: Annotated[int, Field(ge=16, le=4096)] = 128
    log_bytes: Annotated[int, Field(ge=10_000, le=50_000_000)] = 1_000_000
    context_bytes: Annotated[int, Field(ge=1_000, le=200_000_000)] = 20_000_000
    context_files: Annotated[int, Field(ge=1, le=5000)] = 500
    file_bytes: Annotated[int, Field(ge=1_000, le=100_000_000)] = 10_000_000
    # Size of the run's /tmp and of every VOLUME (memory: it counts against memory_mb).
    tmpfs_mb: Annotated[int, Field(ge=1, le=1024)] = 64
    # What one grading may write to the sandbox's disk (its build's new layers and the step
    # running), and how many files; the run writes only to memory (tmpfs).
    disk_mb: Annotated[int, Field(ge=16, le=16_384)] = 1024
    disk_files: Annotated[int, Field(ge=1_000, le=2_000_000)] = 200_000


@dataclass(frozen=True)
class BuildOutcome:
    ok: bool
    image_id: str = ""
    log: str = ""
    log_truncated: bool = False
    # Why it failed, as a message id of the engine's catalogue (with params), when not ok.
    error_id: str = ""
    error_params: dict[str, Any] = field(default_factory=dict)
    failing_step: str = ""  # e.g. "Step 4/9 : RUN pip install -r requirements.txt"
    platform_fault: bool = False  # the daemon or the disk failed, not the learner
    # The daemon-side guard stopped it: it used an image outside the lab's bases (refused
    # like the gate's rejections: not an attempt).
    rejected: bool = False
    seconds: float = 0.0
    # Short ids of the images the steps made or took from the cache, so the sandbox can
    # tell which build-cache entries are still in use (least-recently-used trimming).
    step_images: tuple[str, ...] = ()
    # Short ids of the images this build made itself (not cache hits): removed when the
    # build fails or is rejected, so no layer of it lingers.
    created_images: tuple[str, ...] = ()
    disk_used_bytes: int = 0


@dataclass(frozen=True)
class ExecOutcome:
    exit_code: int | None  # None: timed out
    output: str


@dataclass(frozen=True)
class HttpOutcome:
    status: int | None  # None: no answer (refused, timed out)
    body: str
    error: str = ""


@dataclass(frozen=True)
class ImageFacts:
    """The image's config as `docker inspect` gives it, flattened."""

    id: str
    size_bytes: int
    user: str
    workdir: str
    exposed_ports: list[str]
    cmd: list[str] | None
    entrypoint: list[str] | None
    env: dict[str, str]
    labels: dict[str, str]
    healthcheck: list[str] | None
    base_size_bytes: int | None = None  # size of the image it was built FROM, when known
