"""The learner's language, and translation outside Django's request cycle.

`normalize_lang` is the one place that decides which of the two languages a learner reads:
the grading engine, the quiz's command checker, the importers and the views all ask it.

Texts are translated with the standard library's gettext on the project's own compiled
catalogue, `locale/<locale>/LC_MESSAGES/django.mo`, the very file Django reads, so every
text has one translation in one `.po`. Msgids are the English source text: English needs
no catalogue, and a missing `.mo` (translations not compiled) falls back to English rather
than failing. Texts are marked where they are written with `gettext_noop`, the name Django's
`makemessages` extracts, and translated where they are shown.

No Django and nothing from the project is imported here: every layer may import this.
"""

import gettext as _gettext
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_LANG = "pt-BR"
LANGS = ("pt-BR", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"
# The catalogue directory of each language that has one; English is the source text.
_LOCALES = {"pt-BR": "pt_BR"}


def normalize_lang(lang: str | None) -> str:
    """'en', 'en-us', 'EN_GB' -> 'en'; anything else (pt, pt-br, None) -> 'pt-BR'."""
    if lang and lang.replace("_", "-").lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANG


def gettext_noop(message: str) -> str:
    """Marks an English text for the catalogue where it is written; `gettext` translates it
    where it is shown, in the learner's language."""
    return message


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    locale = _LOCALES.get(lang)
    if locale is None:
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale])
    except OSError:
        log.warning("no compiled catalogue for %s in %s (run compilemessages): texts stay in English", lang, LOCALE_DIR)
        return _gettext.NullTranslations()


def gettext(message: str, lang: str | None) -> str:
    """`message` (an English msgid) in `lang`, or `message` itself when it has no translation."""
    return _translations(normalize_lang(lang)).gettext(message)


def pgettext(context: str, message: str, lang: str | None) -> str:
    """As `gettext`, for a msgid that means different things in different places (msgctxt)."""
    return _translations(normalize_lang(lang)).pgettext(context, message)
