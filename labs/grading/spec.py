"""The lab spec: what a lab allows, its limits and its weighted checks, loaded from YAML.

Validation errors name the field (`checks[2].port`) and what is wrong, so an instructor
editing `lab.yaml` knows what to fix.
"""

import hashlib
import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from .checks import CHECK_KINDS
from .kinds import SLUG, LocalText, SpecModel, check_union, localize, on_change
from .types import Limits

__all__ = ["LabSpec", "LocalText", "SpecError", "load_spec", "localize", "parse_spec", "spec_hash"]

REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")


class SpecError(ValueError):
    """lab.yaml is unusable; the message says where and why."""


class LabSpec(SpecModel):
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
    # Rebuilt from the registry whenever a kind is registered (see _follow_the_registry).
    checks: Annotated[list[check_union()], Field(min_length=1)]  # type: ignore[valid-type]

    @field_validator("packages")
    @classmethod
    def _pinned(cls, packages: list[str]) -> list[str]:
        for requirement in packages:
            if not REQUIREMENT.match(requirement):
                raise ValueError(f"{requirement!r} must be pinned as name==version")
        return packages

    @model_validator(mode="after")
    def _consistent(self) -> "LabSpec":
        ids = [check.id for check in self.checks]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"check ids must be unique; repeated: {', '.join(duplicated)}")
        if not any(not check.bonus and check.points for check in self.checks):
            raise ValueError("at least one check must give points that are not bonus")
        return self

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks if not check.bonus)


def _follow_the_registry() -> None:
    LabSpec.model_fields["checks"].annotation = list[check_union()]  # type: ignore[assignment,misc]
    LabSpec.model_rebuild(force=True)


on_change(_follow_the_registry)


def _error_location(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in CHECK_KINDS:
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
