"""Bilingual messages for the grading engine, without Django's gettext.

The engine must not import Django, yet every message a learner reads exists in Brazilian
Portuguese (the default) and English. Each module registers its own catalogue with
`register()`; `t()` formats a message in the asked language, falling back to pt-BR.
"""

DEFAULT_LANG = "pt-BR"
LANGS = ("pt-BR", "en")

_CATALOGUE: dict[str, dict[str, str]] = {}


def normalize_lang(lang: str | None) -> str:
    """'en', 'en-us', 'EN_GB' -> 'en'; anything else (pt, pt-br, None) -> 'pt-BR'."""
    if lang and lang.replace("_", "-").lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANG


def register(messages: dict[str, dict[str, str]]) -> None:
    for msg_id, texts in messages.items():
        missing = [lang for lang in LANGS if lang not in texts]
        if missing:
            raise ValueError(f"message {msg_id!r} lacks {missing}")
        if msg_id in _CATALOGUE and _CATALOGUE[msg_id] != texts:
            raise ValueError(f"message {msg_id!r} registered twice with different texts")
        _CATALOGUE[msg_id] = texts


def t(msg_id: str, lang: str | None = None, **params) -> str:
    texts = _CATALOGUE.get(msg_id)
    if texts is None:
        raise KeyError(f"unknown grading message {msg_id!r}")
    template = texts[normalize_lang(lang)]
    return template.format(**params) if params else template


def known(msg_id: str) -> bool:
    return msg_id in _CATALOGUE
