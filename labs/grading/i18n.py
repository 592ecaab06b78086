"""The engine's messages, formatted in the learner's language without Django.

A finding, a refused context or a failed build carries a message id and its parameters
(data, stored in reports); `t()` turns them into a sentence. Each id maps to an English text
in one of the catalogues below, and the text is translated with the standard library's
gettext on the project's own `.po` (see common.i18n), as Django translates every other page.
"""

from common.i18n import DEFAULT_LANG, LANGS, gettext, normalize_lang

from . import gate_messages, messages, rule_messages, sandbox_messages

__all__ = ["CATALOGUE", "DEFAULT_LANG", "LANGS", "known", "normalize_lang", "t"]


def _merge(*catalogues: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for catalogue in catalogues:
        for msg_id, text in catalogue.items():
            if msg_id in merged:
                raise ValueError(f"message {msg_id!r} is defined twice")
            merged[msg_id] = text
    return merged


# Message id -> English msgid.
CATALOGUE = _merge(messages.MESSAGES, gate_messages.MESSAGES, rule_messages.MESSAGES, sandbox_messages.MESSAGES)


def t(msg_id: str, lang: str | None = None, **params: object) -> str:
    """The message in `lang` (pt-BR unless English is asked for), its `{placeholders}` filled."""
    text = CATALOGUE.get(msg_id)
    if text is None:
        raise KeyError(f"unknown grading message {msg_id!r}")
    template = gettext(text, lang)
    return template.format(**params) if params else template


def known(msg_id: str) -> bool:
    return msg_id in CATALOGUE
