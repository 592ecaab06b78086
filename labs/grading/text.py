"""A message of a report as data, rendered in the reader's language when it is shown.

A report stores what the engine found as message ids and parameters, not sentences: the
learner who submitted in Portuguese and the instructor who reads in English each see it in
their own language. A parameter is one of:

- a plain value (a port, a path, a log excerpt): the learner's or the lab's data, shown as
  it is and never translated;
- a message, `{"id": ..., "params": {...}}`: rendered in the reader's language too;
- a list of messages: rendered one after the other, separated by a space;
- a text of the lab spec in both languages, `{"text": {"pt-BR": ..., "en": ...}}` (a check's
  title named in the summary).

A message whose id is empty joins its `items` (a list of messages) with a space, as the
metadata check lists its problems.

Reports stored before messages were data (schema 1) hold only the sentences, in the language
the learner submitted in: `recover` finds the message and its parameters again by matching a
sentence against the catalogue's templates in both languages. What `recover` returns is
shared (cached): read it, do not change it.
"""

import re
import string
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from common.i18n import LANGS, gettext, normalize_lang

from .i18n import CATALOGUE, t

__all__ = ["Message", "recover", "recover_joined", "render"]

JOIN = ""  # the id of a message that only joins its items


@dataclass(frozen=True)
class Message:
    id: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def join(cls, items: list["Message"]) -> "Message":
        return items[0] if len(items) == 1 else cls(JOIN, {"items": items})

    def render(self, lang: str | None) -> str:
        return render(self.data(), lang)

    def data(self) -> dict[str, Any]:
        """The JSON a report stores."""
        return {"id": self.id, "params": {name: _param_data(value) for name, value in self.params.items()}}


def _param_data(value: Any) -> Any:
    if isinstance(value, Message):
        return value.data()
    if isinstance(value, list):
        return [_param_data(item) for item in value]
    return value


def render(data: Any, lang: str | None) -> str:
    """A stored message (or parameter) as text in `lang`; plain values as they are."""
    if isinstance(data, list):
        return " ".join(text for text in (render(item, lang) for item in data) if text)
    if isinstance(data, dict) and "id" in data:
        params = {name: render(value, lang) for name, value in (data.get("params") or {}).items()}
        if data["id"] == JOIN:
            return params.get("items", "")
        return t(data["id"], lang, **params)
    if isinstance(data, dict) and isinstance(data.get("text"), dict):
        texts = data["text"]
        return str(texts.get(normalize_lang(lang)) or texts.get("pt-BR") or next(iter(texts.values()), ""))
    return "" if data is None else str(data)


# -- schema-1 reports: the message found again from its sentence -------------------------------

# Parameters that held other messages, as text, before messages were data.
_NESTED = {
    ("rules.failed_list", "items"): "list",
    ("build.failed", "reason"): "one",
    ("summary.rejected", "reason"): "one",
}


@dataclass(frozen=True)
class _Template:
    msg_id: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal: int  # characters of fixed text: the more, the more specific


@cache
def _templates(lang: str) -> tuple[_Template, ...]:
    templates = []
    for msg_id, english in CATALOGUE.items():
        text = gettext(english, lang)
        regex, names, literal = "", [], 0
        for before, name, _spec, _conversion in string.Formatter().parse(text):
            regex += re.escape(before)
            literal += len(before)
            if name is None:
                continue
            if name in names:  # the same value again
                regex += f"(?P={name})"
            else:
                regex += f"(?P<{name}>.*?)"
                names.append(name)
        if literal:
            templates.append(_Template(msg_id, re.compile(regex, re.DOTALL), tuple(names), literal))
    return tuple(sorted(templates, key=lambda template: -template.literal))


@lru_cache(maxsize=2048)
def recover(text: str, lang: str | None = None) -> dict[str, Any] | None:
    """The message (id and parameters, as stored) that reads `text`, tried first in `lang`
    then in the other language; None when no template of the catalogue matches."""
    first = normalize_lang(lang)
    for language in (first, *(other for other in LANGS if other != first)):
        found = _recover(text, language)
        if found is not None:
            return found
    return None


def _recover(text: str, lang: str) -> dict[str, Any] | None:
    for template in _templates(lang):
        match = template.pattern.fullmatch(text)
        if match is None:
            continue
        params: dict[str, Any] = {}
        for name in template.names:
            value = match.group(name)
            shape = _NESTED.get((template.msg_id, name))
            if shape == "list":
                value = _sequence(value, lang)
            elif shape == "one" and value:
                value = _recover(value, lang) or value
            if value is None:
                break
            params[name] = value
        else:
            return {"id": template.msg_id, "params": params}
    return None


def _sequence(text: str, lang: str) -> list[dict[str, Any]] | None:
    """Messages joined with a space, found again one by one (None unless all of `text` is)."""
    found = _recover(text, lang)
    if found is not None:
        return [found]
    for cut in (index for index, char in enumerate(text) if char == " "):
        head = _recover(text[:cut], lang)
        if head is None:
            continue
        tail = _sequence(text[cut + 1 :], lang)
        if tail is not None:
            return [head, *tail]
    return None


@lru_cache(maxsize=2048)
def recover_joined(text: str, lang: str | None = None) -> dict[str, Any] | None:
    """As `recover`, for a check message that may be several messages joined with a space."""
    found = recover(text, lang)
    if found is not None:
        return found
    first = normalize_lang(lang)
    for language in (first, *(other for other in LANGS if other != first)):
        items = _sequence(text, language)
        if items is not None:
            return {"id": JOIN, "params": {"items": items}}
    return None
