"""Quiz importers: lesson text, GIFT, Aiken and the project YAML into one neutral model.

Pure Python (no Django): the management commands and services call these and store the
resulting `QuizData`. Every parser validates through `validation.finalize`, so all formats obey
the same rules, and raises `QuizImportError` (pt-BR message, source and line) on bad input.
"""

from __future__ import annotations

from pathlib import Path

from .aiken import parse_aiken
from .gift import parse_gift
from .lesson import parse_lesson
from .model import KINDS, ChoiceData, QuestionData, QuizData, QuizImportError
from .validation import finalize, slugify
from .yamlfile import dump_yaml, parse_yaml

__all__ = [
    "FORMATS", "KINDS", "ChoiceData", "QuestionData", "QuizData", "QuizImportError",
    "dump_yaml", "finalize", "parse_aiken", "parse_file", "parse_gift", "parse_lesson", "parse_yaml",
    "slugify",
]

FORMATS = {"lesson": parse_lesson, "gift": parse_gift, "aiken": parse_aiken, "yaml": parse_yaml}
_EXTENSIONS = {".gift": "gift", ".aiken": "aiken", ".yaml": "yaml", ".yml": "yaml", ".txt": "lesson", ".md": "lesson"}


def parse_file(path: str | Path, fmt: str | None = None) -> QuizData:
    """Pick the parser from the extension (or `fmt`: lesson, gift, aiken, yaml) and read the file."""
    path = Path(path)
    if fmt is None:
        fmt = _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise QuizImportError(
                f"extensão '{path.suffix or '(nenhuma)'}' não reconhecida; esperado {', '.join(_EXTENSIONS)} "
                "ou o formato explícito (lesson, gift, aiken, yaml).", source=path.name)
    if fmt not in FORMATS:
        raise QuizImportError(f"formato '{fmt}' desconhecido; esperado um de: {', '.join(FORMATS)}.", source=path.name)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: editors on Windows add a BOM
    except OSError as exc:
        raise QuizImportError(f"não foi possível ler o arquivo: {exc.strerror or exc}.", source=path.name) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise QuizImportError("o arquivo não está em UTF-8; salve-o com a codificação UTF-8.",
                              line=line, source=path.name) from None
    return FORMATS[fmt](text, source=path.name)
