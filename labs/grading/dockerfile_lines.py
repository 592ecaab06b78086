"""What Docker's parser does at the level of lines that the wrapped Go parser does not report.

`dockerfile.parse_string` returns the instructions only: the parser directives, the comment
lines, the text after an instruction's --flags and the line of a parse error are read here,
each as BuildKit's Go code reads them (byte by byte where it does).
"""

import re

import dockerfile as docker_parser

from .shell_words import GO_SPACES

_GO_REGEX_SPACE = "[\t\n\f\r ]"  # Go's regexp \s
_DIRECTIVE = re.compile(
    rf"#{_GO_REGEX_SPACE}*([a-zA-Z][a-zA-Z0-9]*){_GO_REGEX_SPACE}*={_GO_REGEX_SPACE}*(.+?){_GO_REGEX_SPACE}*\Z"
)
_DIRECTIVES = {"syntax", "escape"}


def lstrip_go(text: str) -> str:
    """bytes.TrimLeftFunc(line, unicode.IsSpace)."""
    index = 0
    while index < len(text) and text[index] in GO_SPACES:
        index += 1
    return text[index:]


def physical_lines(text: str) -> list[str]:
    # Split on "\n" only, as Docker does (str.splitlines knows more breaks).
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parser_directives(lines: list[str]) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        match = _DIRECTIVE.match(lstrip_go(line.rstrip("\r")))
        if not match or match[1].lower() not in _DIRECTIVES:
            break  # Docker stops looking for directives at the first other line
        found.setdefault(match[1].lower(), (match[2], number))
    return found


def count_comments(lines: list[str], directive_lines: set[int]) -> int:
    count = 0
    for number, line in enumerate(lines, start=1):
        text = lstrip_go(line.removeprefix("\ufeff") if number == 1 else line)
        count += text.startswith("#") and number not in directive_lines and bool(text[1:].strip())
    return count


_FLAG_SPACE_BYTES = frozenset(b"\t\n\v\f\r \x85\xa0")  # Go's unicode.IsSpace(rune(byte))


def without_flags(text: str) -> str:
    """BuildKit's extractBuilderFlags, byte by byte as in Go: the text after the --flags."""
    data = text.encode("utf-8")
    size, pos, phase, word, quote = len(data), 0, "spaces", b"", 0
    while pos < size:
        ch = data[pos]
        if phase == "spaces":
            if ch in _FLAG_SPACE_BYTES:
                pos += 1
                continue
            if ch != 0x2D or pos + 1 == size or data[pos + 1] != 0x2D:
                return data[pos:].decode("utf-8", "replace")
            phase = "word"
        if phase == "word":
            if ch in _FLAG_SPACE_BYTES:
                if word == b"--":
                    return data[pos:].decode("utf-8", "replace")
                phase, word = "spaces", b""
            elif ch in (0x22, 0x27):
                phase, quote = "quote", ch
            elif ch == 0x5C and pos + 1 < size:
                pos += 1
                word += data[pos : pos + 1]
            elif ch != 0x5C:
                word += bytes([ch])
        elif ch == quote:
            phase = "word"
        elif ch == 0x5C and pos + 1 == size:
            phase = "word"
        elif ch == 0x5C:
            pos += 1
            word += data[pos : pos + 1]
        else:
            word += bytes([ch])
        pos += 1
    return ""


def error_line(text: str, message: str) -> int:
    """Docker's parser names no line: the shortest prefix of the file that fails the same way."""
    lines = text.split("\n")

    def fails(count: int) -> bool:
        try:
            docker_parser.parse_string("\n".join(lines[:count]) + "\n")
        except docker_parser.GoParseError as exc:
            return str(exc) == message
        return False

    low, high = 1, len(lines)
    if not fails(high):
        return 1
    while low < high:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle + 1
    return low
