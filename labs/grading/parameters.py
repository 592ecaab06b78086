"""Lab parameters: values drawn per learner (a port, a user name) and the placeholders
`{{ param.NAME }}` that the instructions, the checks and the reference files use for them.

Pure: no Django. The lab spec (spec.py) validates a parameterized lab with these helpers,
the self-test grades its reference with `sample_draws`, and the site draws each learner's
values with `draw_balanced` (the least-used combination in the class, ties broken at random).

`{{ param.NAME }}` was chosen because none of the lab files use it for anything else: a
Dockerfile's and a shell's variables are `$NAME` / `${NAME}`, and a Go template of
`docker inspect --format` starts with a dot (`{{ .Config }}`), never with `param.`.
"""

import builtins
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import product
from typing import Annotated, Any

from pydantic import Field, model_validator

from .kinds import LocalText, SpecModel

__all__ = [
    "PLACEHOLDER",
    "Parameter",
    "Value",
    "draw_balanced",
    "placeholder_problems",
    "placeholders",
    "sample_draws",
    "substitute",
    "substitute_text",
]

Value = int | str
PLACEHOLDER = re.compile(r"\{\{\s*param\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything that opens like a placeholder: one that does not match PLACEHOLDER is malformed.
_OPENING = re.compile(r"\{\{\s*param\b")
# A text value is substituted into Dockerfiles, shell commands, Markdown and YAML: letters,
# digits, dot, underscore and hyphen only, so it can never change what the text around it means.
SAFE_TEXT = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$"
_SAFE_TEXT = re.compile(SAFE_TEXT)
NAME = r"^[a-z_][a-z0-9_]{0,39}$"
# Enough for any class: a bigger space is sampled, not listed, when drawing.
MAX_VALUES = 100_000
_ENUMERATE_UP_TO = 20_000
_SAMPLE = 500


class Parameter(SpecModel):
    """One parameter of a lab: its name in placeholders, what learners read, and its values:
    an explicit list (`choices`) or the integers of `range: [min, max]` (every `step`)."""

    name: Annotated[str, Field(pattern=NAME)]
    label: LocalText
    description: LocalText | None = None
    choices: Annotated[list[int | Annotated[str, Field(pattern=SAFE_TEXT)]], Field(min_length=1)] | None = None
    range: tuple[int, int] | None = None
    step: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _one_value_set(self) -> "Parameter":
        if (self.choices is None) == (self.range is None):
            raise ValueError("give exactly one of choices (a list) and range ([min, max])")
        if self.choices is not None:
            if self.step != 1:
                raise ValueError("step goes with range, not with choices")
            if any(isinstance(value, bool) for value in self.choices):
                raise ValueError("choices are numbers or names, not true/false")
            repeated = sorted({str(v) for v in self.choices if self.choices.count(v) > 1})
            if repeated:
                raise ValueError(f"choices must differ; repeated: {', '.join(repeated)}")
        if self.range is not None:
            low, high = self.range
            if low > high:
                raise ValueError(f"range [{low}, {high}]: the minimum comes first")
            if (high - low) // self.step + 1 > MAX_VALUES:
                raise ValueError(f"range [{low}, {high}] has more than {MAX_VALUES} values; narrow it or add a step")
        return self

    def values(self) -> list[Value]:
        if self.choices is not None:
            return list(self.choices)
        assert self.range is not None
        return list(builtins.range(self.range[0], self.range[1] + 1, self.step))

    def size(self) -> int:
        if self.choices is not None:
            return len(self.choices)
        assert self.range is not None
        return (self.range[1] - self.range[0]) // self.step + 1

    def nth(self, index: int) -> Value:
        if self.choices is not None:
            return self.choices[index]
        assert self.range is not None
        return self.range[0] + index * self.step

    def value_set(self) -> str:
        """The values a learner may get, as a teacher reads them: 5000–5099 (every 10), or the list."""
        if self.choices is not None:
            return ", ".join(str(value) for value in self.choices)
        assert self.range is not None
        every = f" (+{self.step})" if self.step != 1 else ""
        return f"{self.range[0]}–{self.range[1]}{every}"

    def accepts(self, value: Any) -> bool:
        """Whether `value` can stand for this parameter: one of its values, or a value of the
        same kind kept from before the lab's author changed the set (a learner's values never
        change silently: lab.yaml may be edited after they were drawn)."""
        if isinstance(value, bool):
            return False
        if self.range is not None or all(isinstance(v, int) for v in self.choices or []):
            return isinstance(value, int)
        return isinstance(value, int) or (isinstance(value, str) and bool(_SAFE_TEXT.match(value)))


def sample_draws(parameters: list[Parameter]) -> list[dict[str, Value]]:
    """The draws a lab is validated and self-tested with: every parameter at its first value,
    at its last, and in the middle (distinct when a parameter has three values or more)."""
    draws: list[dict[str, Value]] = []
    for position in ("first", "last", "middle"):
        draw = {}
        for parameter in parameters:
            size = parameter.size()
            index = {"first": 0, "last": size - 1, "middle": (size - 1) // 2}[position]
            draw[parameter.name] = parameter.nth(index)
        if draw not in draws:
            draws.append(draw)
    return draws


def draw_balanced(
    parameters: list[Parameter], taken: Iterable[Mapping[str, Any]], rng: random.Random | None = None
) -> dict[str, Value]:
    """A combination of values for a new learner: one of the least used among `taken` (the
    values the class's other learners hold), chosen at random among those. A space too big to
    list is sampled."""
    rng = rng or random.SystemRandom()
    names = [p.name for p in parameters]
    used = Counter(tuple(values.get(name) for name in names) for values in taken)
    total = 1
    for parameter in parameters:
        total *= parameter.size()
    if total <= _ENUMERATE_UP_TO:
        candidates = list(product(*(p.values() for p in parameters)))
    else:
        candidates = [tuple(p.nth(rng.randrange(p.size())) for p in parameters) for _ in range(_SAMPLE)]
    fewest = min(used[c] for c in candidates)
    chosen = rng.choice([c for c in candidates if used[c] == fewest])
    return dict(zip(names, chosen, strict=True))


# -- placeholders ----------------------------------------------------------------------------


def _walk(obj: Any, path: str) -> Iterator[tuple[str, str]]:
    """(location, text) of every string in a YAML value."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))


def placeholders(obj: Any) -> set[str]:
    """The parameter names a YAML value's texts name."""
    return {match.group(1) for _, text in _walk(obj, "") for match in PLACEHOLDER.finditer(text)}


def placeholder_problems(obj: Any, path: str, known: set[str]) -> list[str]:
    """What is wrong with the placeholders of a YAML value: malformed ones, unknown names."""
    problems = []
    for where, text in _walk(obj, path):
        if len(_OPENING.findall(text)) != len(PLACEHOLDER.findall(text)):
            problems.append(f"{where}: a placeholder is malformed; write {{{{ param.NAME }}}}")
        for name in PLACEHOLDER.findall(text):
            if name not in known:
                declared = ", ".join(sorted(known)) or "none"
                problems.append(f"{where}: unknown parameter {name!r} in {{{{ param.{name} }}}} (declared: {declared})")
    return problems


def _is_local_text(obj: dict[Any, Any]) -> bool:
    return bool(obj) and set(obj) <= {"pt-BR", "en"} and all(isinstance(v, str) for v in obj.values())


# value_of(name, lang, whole): the value a placeholder stands for; `whole` when the placeholder
# is the entire text (then a number stays a number: `port: "{{ param.port }}"`).
ValueOf = Callable[[str, str, bool], Any]


def substitute(obj: Any, value_of: ValueOf, lang: str = "pt-BR") -> Any:
    """A copy of a YAML value with its placeholders replaced (texts in both languages each
    get their own language's rendering)."""
    if isinstance(obj, str):
        whole = PLACEHOLDER.fullmatch(obj.strip())
        if whole:
            return value_of(whole.group(1), lang, True)
        return _text_in(obj, value_of, lang)
    if isinstance(obj, list):
        return [substitute(item, value_of, lang) for item in obj]
    if isinstance(obj, dict):
        if _is_local_text(obj):  # a text, even when a placeholder is all of it
            return {key: _text_in(text, value_of, key) for key, text in obj.items()}
        return {key: substitute(item, value_of, lang) for key, item in obj.items()}
    return obj


def _text_in(text: str, value_of: ValueOf, lang: str) -> str:
    return substitute_text(text, lambda name: str(value_of(name, lang, False)))


def substitute_text(text: str, value_of: Callable[[str], str]) -> str:
    return PLACEHOLDER.sub(lambda match: value_of(match.group(1)), text)
