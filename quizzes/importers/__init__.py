"""Quiz importers: lesson text, GIFT, Aiken, Moodle XML and the project YAML into one neutral model.

Pure Python (no Django): the management commands and services call these and store the
resulting `QuizData`. Every parser validates through `validation.finalize`, so all formats obey
the same rules, and raises `QuizImportError` (a translatable message, source and line) on bad
input. Messages are English texts marked with `gettext_noop`; the Portuguese is in the `.po`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.i18n import gettext_noop

from .aiken import parse_aiken
from .gift import parse_gift
from .lesson import parse_lesson
from .model import KINDS, ChoiceData, DrawData, Message, QuestionData, QuizData, QuizImportError, UnitData
from .moodlexml import dump_moodle_xml, parse_moodle_xml
from .validation import finalize, slugify
from .yamlfile import dump_yaml, parse_yaml

__all__ = [
    "FORMATS",
    "KINDS",
    "ChoiceData",
    "DrawData",
    "QuestionData",
    "QuizData",
    "QuizImportError",
    "UnitData",
    "dump_moodle_xml",
    "file_format",
    "dump_yaml",
    "finalize",
    "parse_aiken",
    "parse_file",
    "parse_gift",
    "parse_lesson",
    "parse_moodle_xml",
    "parse_yaml",
    "slugify",
]

FORMATS = {
    "lesson": parse_lesson,
    "gift": parse_gift,
    "aiken": parse_aiken,
    "yaml": parse_yaml,
    "moodlexml": parse_moodle_xml,
}
_EXTENSIONS = {
    ".gift": "gift",
    ".aiken": "aiken",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".txt": "lesson",
    ".md": "lesson",
    ".xml": "moodlexml",
}


def file_format(path: str | Path, fmt: str | None = None) -> str:
    """The format a file is read in: `fmt` when given, else the one its extension says."""
    path = Path(path)
    if fmt is None:
        fmt = _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise QuizImportError(
                gettext_noop(
                    "extension '{extension}' not recognised; expected {extensions} or the format given "
                    "explicitly ({formats})."
                ),
                source=path.name,
                formats=", ".join(FORMATS),
                extension=path.suffix or Message(gettext_noop("(none)")),
                extensions=", ".join(_EXTENSIONS),
            )
    if fmt not in FORMATS:
        raise QuizImportError(
            gettext_noop("unknown format '{format}'; expected one of: {formats}."),
            source=path.name,
            format=fmt,
            formats=", ".join(FORMATS),
        )
    return fmt


def parse_file(path: str | Path, fmt: str | None = None, **options: Any) -> QuizData:
    """Pick the parser from the extension (or `fmt`: lesson, gift, aiken, yaml, moodlexml) and
    read the file; `options` go to the parser (Moodle XML: skip_unsupported)."""
    path = Path(path)
    fmt = file_format(path, fmt)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: editors on Windows add a BOM
    except OSError as exc:
        raise QuizImportError(
            gettext_noop("the file could not be read: {error}."), source=path.name, error=exc.strerror or exc
        ) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise QuizImportError(
            gettext_noop("the file is not UTF-8; save it with the UTF-8 encoding."), line=line, source=path.name
        ) from None
    return FORMATS[fmt](text, source=path.name, **options)
