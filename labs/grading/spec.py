"""The lab spec: what a lab allows, its limits and its weighted checks, loaded from YAML.

Validation errors name the field (`checks[2].port`) and what is wrong, so an instructor
editing `lab.yaml` knows what to fix.
"""

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from .checks import CHECK_KINDS
from .kinds import SLUG, LocalText, SpecModel, check_union, localize, on_change
from .parameters import Parameter, Value, placeholder_problems, placeholders, sample_draws, substitute
from .types import Limits

__all__ = [
    "LabSpec",
    "LocalText",
    "ParametersUnresolved",
    "SpecError",
    "load_spec",
    "localize",
    "parse_spec",
    "spec_hash",
]

REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")


class SpecError(ValueError):
    """lab.yaml is unusable; the message says where and why."""


# The validation context key that resolves a parameterized spec with one learner's values.
VALUES = "parameter_values"
# Where placeholders may appear: what a learner reads and what is checked.
PARAMETERIZED_FIELDS = ("instructions", "checks")


class ParametersUnresolved(ValueError):
    """A parameterized spec was used without a learner's values (LabSpec.resolve)."""


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
    # Values drawn per learner; `{{ param.NAME }}` in the instructions and the checks.
    parameters: list[Parameter] = []
    # Rebuilt from the registry whenever a kind is registered (see _follow_the_registry).
    checks: Annotated[list[check_union()], Field(min_length=1)]  # type: ignore[valid-type]

    # A parameterized spec keeps the lab.yaml it was validated from (its template), and, once
    # resolved, the values it was resolved with and each check's parameters.
    _template: dict[str, Any] | None = PrivateAttr(default=None)
    _values: dict[str, Value] | None = PrivateAttr(default=None)
    _check_values: dict[str, dict[str, Value]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _parameterized(cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> "LabSpec":
        """Placeholders are checked against the declared parameters; a spec given values
        (the validation context's VALUES, see resolve) is validated with them substituted;
        a spec without values (the template, as loaded) with each of its sample draws,
        and holds in its texts each placeholder's label (‹Port›), so a page that shows it to
        a teacher says what varies per learner."""
        if not isinstance(data, dict):
            return handler(data)  # type: ignore[no-any-return]
        raw = data.get("parameters") or []
        try:
            declared = [Parameter.model_validate(p) for p in raw] if isinstance(raw, list) else []
        except ValidationError:
            return handler(data)  # type: ignore[no-any-return]  # the parameters' own errors, by field
        known = {p.name for p in declared}
        problems = [
            problem
            for key, value in data.items()
            for problem in placeholder_problems(value, key, known if key in PARAMETERIZED_FIELDS else set())
            if key != "parameters"
        ]
        names = [p.name for p in declared]
        if len(set(names)) != len(names):
            problems.append(
                f"parameters: names must be unique; repeated: {', '.join(sorted({n for n in names if names.count(n) > 1}))}"
            )
        for check in data.get("checks") or []:
            if isinstance(check, dict) and placeholders(check.get("id")):
                problems.append(f"checks: a check id is fixed, it takes no placeholder ({check.get('id')})")
        if problems:
            raise ValueError("; ".join(problems))
        if not declared:
            return handler(data)  # type: ignore[no-any-return]
        given = (info.context or {}).get(VALUES)
        if given is None:
            return cls._template_of(data, declared, handler)
        values = _values_for(declared, given)
        spec: LabSpec = handler(substitute(data, lambda name, lang, whole: values[name]))
        spec._template, spec._values = data, values
        spec._check_values = {
            str(check.get("id")): {name: values[name] for name in placeholders(check)}
            for check in data.get("checks") or []
            if isinstance(check, dict)
        }
        return spec

    @classmethod
    def _template_of(
        cls, data: dict[str, Any], declared: list[Parameter], handler: ValidatorFunctionWrapHandler
    ) -> "LabSpec":
        draws = sample_draws(declared)
        for draw in draws:
            try:
                cls.model_validate(data, context={VALUES: draw})
            except ValidationError as exc:
                with_values = ", ".join(f"{name}={value}" for name, value in draw.items())
                problems = "; ".join(f"{_error_location(err['loc'])}: {err['msg']}" for err in exc.errors())
                raise ValueError(f"with {with_values}: {problems}") from None
        labels = {p.name: p.label for p in declared}

        def marker(name: str, lang: str, whole: bool) -> Value:
            return draws[0][name] if whole else f"‹{localize(labels[name], lang)}›"

        spec: LabSpec = handler(substitute(data, marker))
        spec._template = data
        return spec

    @property
    def parameterized(self) -> bool:
        return bool(self.parameters)

    @property
    def values(self) -> dict[str, Value] | None:
        """The learner's values this spec was resolved with; None for the template (and for
        a lab without parameters)."""
        return dict(self._values) if self._values is not None else None

    def check_values(self, check_id: str) -> dict[str, Value]:
        """The parameters one check's fields name, with this spec's values."""
        return dict(self._check_values.get(check_id, {}))

    def resolve(self, values: Mapping[str, Any]) -> "LabSpec":
        """This lab with one learner's values in its instructions and checks (a lab without
        parameters is itself). A value the spec no longer declares is ignored; a parameter
        without a value is an error."""
        if not self.parameterized:
            return self
        assert self._template is not None
        try:
            return type(self).model_validate(self._template, context={VALUES: dict(values)})
        except ValidationError as exc:
            raise ParametersUnresolved(str(exc)) from exc

    def stored(self) -> dict[str, Any]:
        """What a LabVersion keeps: the validated spec, or a parameterized lab's template
        (LabSpec.model_validate reads either back)."""
        return dict(self._template) if self._template is not None else self.model_dump(mode="json")

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


def _values_for(declared: list[Parameter], given: Mapping[str, Any]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for parameter in declared:
        if parameter.name not in given:
            raise ValueError(f"no value for the parameter {parameter.name!r}")
        value = given[parameter.name]
        if not parameter.accepts(value):
            raise ValueError(f"{value!r} is not a value of the parameter {parameter.name!r}")
        values[parameter.name] = value
    return values


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
