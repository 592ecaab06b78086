"""The check-kind registry: what a kind of check is, and every kind a lab spec may use.

A kind is its spec model (what lab.yaml may say for it), the phase it needs (the parsed
Dockerfile, the build's outcome, the built image, a running container), how it runs, and
what a learner reads when its phase is never reached. The lab spec's union of check models
and the runner's dispatch are both read from `CHECK_KINDS`, so a new kind is registered
once (labs/grading/checks.py holds the built-in ones) and nothing else changes.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from .i18n import known, normalize_lang
from .ports import Container, Sandbox, SandboxFault
from .text import Message
from .types import BuildOutcome, CheckStatus, Finding, ImageFacts

if TYPE_CHECKING:  # the spec module builds its union from this one
    from .dockerfile import ParsedDockerfile
    from .spec import LabSpec

# A text shown to learners: plain pt-BR, or both languages.
LocalText = str | dict[Literal["pt-BR", "en"], str]

SLUG = r"^[a-z0-9][a-z0-9-]{1,62}$"


def localize(text: LocalText | None, lang: str | None) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    texts = {str(key): value for key, value in text.items()}
    return texts.get(normalize_lang(lang)) or texts.get("pt-BR") or next(iter(texts.values()), "")


class SpecModel(BaseModel):
    """A part of a lab spec: unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckBase(SpecModel):
    """What every check of a lab spec says, whatever its kind. A kind's model adds
    `kind: Literal["<name>"]` and its own fields."""

    kind: str
    id: Annotated[str, Field(pattern=SLUG)]
    title: LocalText
    points: Annotated[int, Field(ge=0, le=1000)] = 1
    required: bool = False
    # Bonus points add to the score but not to the maximum (capped at the maximum).
    bonus: bool = False
    hint: LocalText | None = None
    lesson_section: str | None = None


class PlatformFault(SandboxFault):
    """The sandbox or a tool failed; the learner is not to blame and the work is retried."""


class Phase(StrEnum):
    """What a check needs, in the order a grading gets it."""

    LINT = "lint"  # the parsed Dockerfile and the context's files, before anything is built
    BUILD = "build"  # the build's outcome
    IMAGE = "image"  # the built image's configuration (docker inspect)
    CONTAINER = "container"  # a running container of the image


@dataclass(frozen=True)
class Outcome:
    status: CheckStatus
    # A message of the catalogue (stored as data, read in each reader's language), or a
    # plain text shown as it is.
    message: Message | str
    line: int | None = None
    output: str = ""


@dataclass
class Grading:
    """What a check may read while it runs: the submission, and what the phases before its
    own produced (the build's outcome, the image's facts, the running container)."""

    spec: "LabSpec"
    files: dict[str, bytes]
    dockerfile: str
    parsed: "ParsedDockerfile"
    lang: str
    sandbox: Sandbox
    starter_files: dict[str, bytes] | None = None
    build: BuildOutcome | None = None
    facts: ImageFacts | None = None
    container: Container | None = None
    # What a kind's `prepare` leaves for its checks (e.g. the HTTP kind's first answer).
    prepared: dict[str, Any] = field(default_factory=dict)

    def msg(self, message_id: str, **params: Any) -> Message:
        """A message of the catalogue with its parameters: data, rendered where it is read."""
        if not known(message_id):
            raise KeyError(f"unknown grading message {message_id!r}")
        return Message(message_id, params)

    def from_findings(self, findings: list[Finding]) -> Outcome:
        """One outcome from what static rules found: passed, or the failures listed."""
        failed = [f for f in findings if not f.passed]
        if not failed:
            return Outcome(CheckStatus.PASSED, self.msg(findings[0].message_id, **findings[0].params), findings[0].line)
        items = [self.msg(f.message_id, **f.params) for f in failed]
        message = items[0] if len(items) == 1 else self.msg("rules.failed_list", count=len(items), items=items)
        return Outcome(CheckStatus.FAILED, message, failed[0].line, "\n".join(f.output for f in failed if f.output))

    def drawn_for(self, check: CheckBase) -> set[Any]:
        """The learner's values of the lab's parameters that this check's fields name: a miss
        of one of them is told as theirs ("your port is 5081")."""
        return set(self.spec.check_values(check.id).values()) if self.spec is not None else set()

    def step_line(self, failing_step: str) -> int | None:
        """'Step 4/9 : RUN ...' -> the Dockerfile line of the 4th instruction."""
        match = re.match(r"Step (\d+)/\d+", failing_step or "")
        if not match:
            return None
        index = int(match.group(1)) - 1
        instructions = self.parsed.instructions
        return instructions[index].line if 0 <= index < len(instructions) else None

    def running(self) -> Container:
        """The container of a CONTAINER-phase check (the runner starts it before they run)."""
        if self.container is None:
            raise PlatformFault("a container check ran without a container")
        return self.container


@dataclass(frozen=True)
class CheckKind:
    name: str
    model: type[CheckBase]
    phase: Phase
    run: Callable[[Any, Grading], Outcome]
    # Once before the phase's checks run, with every check of this kind in the spec, while
    # the learner still sees the phase's status (the HTTP kind waits for the app there).
    prepare: Callable[[list[Any], Grading], None] | None = None
    # What the learner reads when the phase is never reached (the build failed).
    skipped: str = "check.skipped_build"


CHECK_KINDS: dict[str, CheckKind] = {}
_listeners: list[Callable[[], None]] = []


def register(kind: CheckKind) -> CheckKind:
    """Add a kind (or replace one of the same name); the lab spec's union follows."""
    if get_args(kind.model.model_fields["kind"].annotation) != (kind.name,):
        raise ValueError(f"check kind {kind.name!r}: its model must declare kind: Literal[{kind.name!r}]")
    CHECK_KINDS[kind.name] = kind
    _changed()
    return kind


def unregister(name: str) -> None:
    CHECK_KINDS.pop(name, None)
    _changed()


def on_change(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()


def kind_of(check: CheckBase) -> CheckKind:
    return CHECK_KINDS[check.kind]


def check_union() -> Any:
    """The discriminated union of every registered kind's model, for the lab spec."""
    models = tuple(kind.model for kind in CHECK_KINDS.values())
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007 - built at run time
