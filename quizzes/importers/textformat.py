"""Moodle's text formats into the Markdown our pages render: one conversion for every importer.

Moodle stores each text (question, answer, feedback) with a format: `html`, `moodle` (its
"auto-format"), `plain` or `markdown`. Estaleiro stores Markdown and renders it through
common.markdown_html (Markdown, then nh3). `to_markdown(text, fmt)` turns any of Moodle's
formats into Markdown that renders as Moodle shows it:

- markdown: kept as written;
- html: sanitised with nh3 to the tags our pages allow (`<b>`/`<i>` become `<strong>`/`<em>`,
  scripts, styles and images go), and kept as a raw HTML block so Markdown leaves it alone; an
  HTML text without any tag is just text, stored as literal text;
- plain and moodle: shown literally: every character Markdown or HTML would read as markup is
  escaped, and each line break stays a line break.

Moodle XML names the formats `html`, `moodle_auto_format`, `plain_text` and `markdown`; GIFT
writes `[html]`, `[moodle]`, `[plain]` and `[markdown]`; both spellings are accepted here.
Django-free, like the rest of the importers.
"""

from __future__ import annotations

import html
import re

import nh3

from common.markdown_html import ALLOWED_TAGS

FORMATS: tuple[str, ...] = ("markdown", "html", "plain", "moodle")
_ALIASES = {"moodle_auto_format": "moodle", "plain_text": "plain", "text": "plain"}
# Tags Moodle's editor writes that have an allowed equivalent here; renamed after sanitising.
_RENAMED = {"b": "strong", "i": "em", "tt": "code", "h1": "h2", "h5": "h4", "h6": "h4"}
_RENAME = re.compile(r"<(/?)(" + "|".join(_RENAMED) + r")>")

# Inline markup characters, escaped wherever they are (Python-Markdown reads `\x` as x).
_INLINE = re.compile(r"([\\`*_\[\]])")
# What starts a block only at the beginning of a line: heading, quote, list item, ordered item,
# a rule or setext underline, a fence of tildes.
_LIST_ITEM = re.compile(r"^([-+])(?=\s|$)")
_ORDERED = re.compile(r"^(\d+)\.(?=\s|$)")
_RULE = re.compile(r"^([-=])[-= ]*$")
_FENCE = re.compile(r"^~")


def normalize_format(fmt: str | None, default: str = "markdown") -> str:
    """A Moodle format name (GIFT tag or Moodle XML attribute) as one of FORMATS; unknown -> default."""
    name = (fmt or "").strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in FORMATS else default


def to_markdown(text: str, fmt: str | None) -> str:
    """`text` written in Moodle's format `fmt` as Markdown for our pages (see the module)."""
    fmt = normalize_format(fmt)
    if fmt == "html":
        return html_to_markdown(text)
    if fmt in ("plain", "moodle"):
        return plain_to_markdown(text)
    return text.strip()


def html_to_markdown(text: str) -> str:
    """Sanitised HTML kept as a raw block (Markdown does not touch it); text without tags as literal text."""
    clean = nh3.clean(
        text,
        tags=ALLOWED_TAGS | set(_RENAMED),
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
    if "<" not in clean:
        # Only text: HTML's whitespace is one space, its entities the characters they name.
        return escape_markdown(" ".join(html.unescape(clean).split()))
    clean = _RENAME.sub(lambda m: f"<{m.group(1)}{_RENAMED[m.group(2)]}>", clean)
    return f"<div>\n{clean}\n</div>"


def plain_to_markdown(text: str) -> str:
    """Plain text shown as written: markup characters escaped, line breaks kept (Moodle's nl2br)."""
    paragraphs = re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n"))
    return "\n\n".join("<br>\n".join(escape_markdown(line).split("\n")) for line in paragraphs if line.strip())


def escape_markdown(text: str) -> str:
    """Literal text as Markdown that renders those same characters: inline markup and HTML
    escaped everywhere, block markers at the start of a line. Lines stay Markdown lines (a
    single line break is a space when rendered, as in any Markdown)."""
    lines = []
    for raw in text.strip().split("\n"):
        line = raw.strip()
        line = line.replace("&", "&amp;").replace("<", "&lt;").replace("|", "&#124;")
        line = _INLINE.sub(r"\\\1", line)
        if line.startswith(("#", ">")):
            line = "\\" + line
        elif _RULE.match(line):
            line = ("\\-" if line[0] == "-" else "&#61;") + line[1:]
        else:
            line = _LIST_ITEM.sub(r"\\\1", line)
            line = _ORDERED.sub(r"\1\\.", line)
            line = _FENCE.sub("&#126;", line)
        lines.append(line)
    return "\n".join(lines)
