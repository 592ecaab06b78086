"""The grading report: what `manage.py grade --json` prints and a Submission stores.

Keep the JSON stable (REPORT_SCHEMA): instructors' scripts read it.

Schema 2 keeps every field of schema 1 (the texts, in the report's `lang`) and adds the
messages as data (labs/grading/text.py): `summary_data`, each check's `message_data` and
each rejection's `params` (with its `id`), from which a page renders the verdict in its
reader's language.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

from .types import CheckStatus

REPORT_SCHEMA = 2


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    REJECTED = "rejected"  # invalid input: not built, not counted as an attempt
    ERROR = "error"  # the platform failed: retried, never counted against the learner


@dataclass
class CheckResult:
    id: str
    kind: str
    title: str
    status: CheckStatus
    points: float
    max_points: int
    required: bool
    bonus: bool
    message: str
    hint: str = ""
    lesson_section: str = ""
    line: int | None = None
    output: str = ""
    # `message` as data (id and parameters), or None for a plain text.
    message_data: dict[str, Any] | None = None


class Rejection(TypedDict):
    """One reason the static gate refused the Dockerfile, in the learner's language."""

    message: str
    line: int | None
    id: str  # the message id of the engine's catalogue
    params: dict[str, Any]  # its parameters (the learner's data, as it is)


@dataclass
class Report:
    lab: str
    lang: str
    status: Verdict = Verdict.ERROR
    score: float = 0
    max_score: int = 0
    summary: str = ""
    summary_data: dict[str, Any] | None = None  # `summary` as data (id and parameters)
    checks: list[CheckResult] = field(default_factory=list)
    # Reasons the static gate refused the Dockerfile (status "rejected").
    rejections: list[Rejection] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    failing_step: str = ""
    log_truncated: bool = False
    error: str = ""  # platform fault detail (status "error")
    base_image_standin: bool = False
    # The lab's parameters as drawn for the learner, which the checks used ({} without any).
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def gradable(self) -> bool:
        return self.status in (Verdict.PASSED, Verdict.FAILED)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema"] = REPORT_SCHEMA
        data["gradable"] = self.gradable
        data["status"] = str(self.status)
        for check in data["checks"]:
            check["status"] = str(check["status"])
        data["timings"] = {phase: round(seconds, 3) for phase, seconds in self.timings.items()}
        return data
