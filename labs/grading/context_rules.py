"""Rules on the build context itself, beside the Dockerfile: today, the `.dockerignore`.

Patterns are read as Docker reads them (moby/patternmatcher): one per line, `#` comments,
`!` re-includes, a leading `/` and a trailing `/` mean nothing, `**` spans directories, the
last matching line wins, and excluding a directory excludes everything under it. A required
entry such as `__pycache__` counts as excluded when a path it names at the root of the
context would be left out, so `__pycache__`, `__pycache__/` and `**/__pycache__` all pass.
"""

import posixpath
import re
from typing import Any

from .types import Finding

DEFAULT_MUST_EXCLUDE = [".git", "__pycache__", "*.pyc", ".venv", ".env"]


def _compile(pattern: str) -> re.Pattern[str]:
    """patternmatcher's translation of one pattern to a regular expression."""
    regex, index = "^", 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            if pattern.startswith("/", index):
                index += 1
            regex += ".*" if index >= len(pattern) else "(.*/)?"
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            regex += re.escape(pattern[index])
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                regex += re.escape(char)
            else:
                regex += _character_class(pattern[index + 1 : end])
                index = end
        else:
            regex += re.escape(char)
        index += 1
    return re.compile(regex + "$")


def _character_class(body: str) -> str:
    """[a-z] or [^0-9] kept; anything else in it literal, so Python's regex reads what Go's does."""
    negated = body.startswith("^")
    body = body[1:] if negated else body
    parts = [
        ch if ch == "-" and 0 < i < len(body) - 1 and body[i - 1] != "-" else re.escape(ch) for i, ch in enumerate(body)
    ]
    return "[" + ("^" if negated else "") + "".join(parts) + "]"


def parse_dockerignore(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exclusion, compiled pattern) per meaningful line, in order."""
    patterns = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        line = line[1:].strip() if include else line
        cleaned = posixpath.normpath(line).lstrip("/")
        if cleaned in ("", "."):
            continue
        try:
            patterns.append((not include, _compile(cleaned)))
        except re.error:
            continue  # Docker would refuse the file; here the line just excludes nothing
    return patterns


def is_excluded(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` out of the context (it or a parent directory matches last)."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for exclusion, regex in patterns:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = exclusion
    return excluded


def _probe_path(required: str) -> str:
    """A concrete root-level path that the required entry names: '*.pyc' -> 'probe.pyc'."""
    path = required.strip("/").replace("**/", "")
    path = re.sub(r"\[\^?([^\]])[^\]]*\]", r"\1", path)
    return path.replace("**", "probe").replace("*", "probe").replace("?", "p")


def dockerignore(files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    """Context rules take (files, params): they look at the submitted files, not the Dockerfile."""
    must_exclude = list(params.get("must_exclude", DEFAULT_MUST_EXCLUDE))
    content = next((data for path, data in files.items() if posixpath.normpath(path) == ".dockerignore"), None)
    if content is None:
        return Finding(False, "context.dockerignore.missing", {"required": ", ".join(must_exclude)})
    patterns = parse_dockerignore(content.decode("utf-8", "replace"))
    missing = [entry for entry in must_exclude if not is_excluded(_probe_path(entry), patterns)]
    if missing:
        return Finding(False, "context.dockerignore.incomplete", {"missing": ", ".join(missing)})
    return Finding(True, "context.dockerignore.passed", {"required": ", ".join(must_exclude)})


CONTEXT_RULES = {"dockerignore": dockerignore}

LESSON_SECTIONS = {"dockerignore": "Boas Práticas na Criação de Dockerfiles para ML › Redução de Tamanho"}
