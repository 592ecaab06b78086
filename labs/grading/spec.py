"""The lab spec: what a lab allows, its limits and its weighted checks, loaded from YAML.

Validation errors name the field (`checks[2].port`) and what is wrong, so an instructor
editing `lab.yaml` knows what to fix.
"""

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .i18n import normalize_lang
from .types import Limits

# A text shown to learners: plain pt-BR, or both languages.
LocalText = str | dict[Literal["pt-BR", "en"], str]

SLUG = r"^[a-z0-9][a-z0-9-]{1,62}$"
REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")


def localize(text: LocalText | None, lang: str | None) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    lang = normalize_lang(lang)
    return text.get(lang) or text.get("pt-BR") or next(iter(text.values()), "")


class SpecError(ValueError):
    """lab.yaml is unusable; the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckBase(_Model):
    id: Annotated[str, Field(pattern=SLUG)]
    title: LocalText
    points: Annotated[int, Field(ge=0, le=1000)] = 1
    required: bool = False
    # Bonus points add to the score but not to the maximum (capped at the maximum).
    bonus: bool = False
    hint: LocalText | None = None
    lesson_section: str | None = None

    @property
    def needs_container(self) -> bool:
        return False


class BuildCheck(CheckBase):
    kind: Literal["build"]


class DockerfileCheck(CheckBase):
    kind: Literal["dockerfile"]
    rule: str
    params: dict[str, Any] = {}


class HadolintCheck(CheckBase):
    kind: Literal["hadolint"]
    rules: Annotated[list[Annotated[str, Field(pattern=r"^(DL|SC)\d{4}$")]], Field(min_length=1)]


class ContextCheck(CheckBase):
    kind: Literal["context"]
    rule: Literal["dockerignore"] = "dockerignore"
    params: dict[str, Any] = {}


class MetadataExpect(_Model):
    user_not_root: bool | None = None
    exposed_ports: list[int] | None = None
    cmd_contains: list[str] | None = None
    workdir: str | None = None
    env: dict[str, str] | None = None
    labels: list[str] | None = None
    healthcheck: bool | None = None


class MetadataCheck(CheckBase):
    kind: Literal["metadata"]
    expect: MetadataExpect


class HttpCheck(CheckBase):
    kind: Literal["http"]
    method: Literal["GET", "POST", "PUT", "DELETE", "HEAD"] = "GET"
    path: Annotated[str, Field(pattern=r"^/[\x21-\x7e]*$")] = "/"
    port: Annotated[int, Field(ge=1, le=65535)]
    body: str | dict | list | None = None
    headers: dict[str, str] = {}
    expect_status: Annotated[int, Field(ge=100, le=599)] = 200
    expect_json_keys: list[str] = []
    expect_json: dict[str, Any] = {}
    expect_regex: str | None = None
    ready_seconds: Annotated[float, Field(gt=0, le=120)] = 20

    @property
    def needs_container(self) -> bool:
        return True

    @field_validator("expect_regex")
    @classmethod
    def _regex_compiles(cls, value):
        if value is not None:
            re.compile(value)
        return value


class CommandCheck(CheckBase):
    kind: Literal["command"]
    argv: Annotated[list[str], Field(min_length=1)]
    expect_exit: int = 0
    expect_regex: str | None = None
    reject_regex: str | None = None
    timeout: Annotated[float, Field(gt=0, le=60)] = 10

    @property
    def needs_container(self) -> bool:
        return True


class FileCheck(CheckBase):
    kind: Literal["file"]
    path: Annotated[str, Field(pattern=r"^/")]
    exists: bool = True
    contains_regex: str | None = None

    @property
    def needs_container(self) -> bool:
        return True


class ImageSizeCheck(CheckBase):
    kind: Literal["image_size"]
    # Megabytes the learner's image adds over its base image.
    max_added_mb: Annotated[float, Field(gt=0)] | None = None
    # Or: at most this fraction of the size the lab's starter Dockerfile produces.
    max_fraction_of_starter: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.max_added_mb is None) == (self.max_fraction_of_starter is None):
            raise ValueError("set exactly one of max_added_mb and max_fraction_of_starter")
        return self


Check = Annotated[
    BuildCheck | DockerfileCheck | HadolintCheck | ContextCheck | MetadataCheck | HttpCheck
    | CommandCheck | FileCheck | ImageSizeCheck,
    Field(discriminator="kind"),
]


class LabSpec(_Model):
    slug: Annotated[str, Field(pattern=SLUG)]
    title: LocalText
    summary: LocalText = ""
    instructions: LocalText = ""
    lesson_section: str | None = None
    position: int = 0
    bases: Annotated[list[str], Field(min_length=1)]
    # Python packages (pinned) offered offline in the base image's wheelhouse.
    packages: list[str] = []
    limits: Limits = Limits()
    pass_ratio: Annotated[float, Field(ge=0, le=1)] = 0.7
    checks: Annotated[list[Check], Field(min_length=1)]

    @field_validator("packages")
    @classmethod
    def _pinned(cls, packages):
        for requirement in packages:
            if not REQUIREMENT.match(requirement):
                raise ValueError(f"{requirement!r} must be pinned as name==version")
        return packages

    @model_validator(mode="after")
    def _consistent(self):
        ids = [check.id for check in self.checks]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"check ids must be unique; repeated: {', '.join(duplicated)}")
        from .rules import RULES  # late: rules import the parser, which the spec does not need

        for check in self.checks:
            if isinstance(check, DockerfileCheck) and check.rule not in RULES:
                raise ValueError(f"check {check.id!r}: unknown dockerfile rule {check.rule!r}; known: {', '.join(sorted(RULES))}")
        if not any(not check.bonus and check.points for check in self.checks):
            raise ValueError("at least one check must give points that are not bonus")
        return self

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks if not check.bonus)


def _error_location(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"build", "dockerfile", "hadolint", "context", "metadata", "http", "command", "file", "image_size"}:
            continue  # the discriminator's branch name says nothing to the author
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_spec(text: str, *, source: str = "lab.yaml") -> LabSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a mapping at the top level")
    try:
        return LabSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_error_location(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise SpecError(f"{source}: {problems}") from exc


def load_spec(lab_dir: Path) -> LabSpec:
    path = lab_dir / "lab.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: unreadable: {exc}") from exc
    spec = parse_spec(text, source=str(path))
    if spec.slug != lab_dir.name:
        raise SpecError(f"{path}: slug {spec.slug!r} must match the folder name {lab_dir.name!r}")
    return spec


def spec_hash(lab_dir: Path) -> str:
    """Hash of what changes grading: the spec and the starter files (not reference/bad)."""
    digest = hashlib.sha256()
    for path in [lab_dir / "lab.yaml", *sorted((lab_dir / "starter").rglob("*"))]:
        if path.is_file():
            digest.update(str(path.relative_to(lab_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
