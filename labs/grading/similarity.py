"""A lab submission as the similarity pages compare it (common.similarity does the comparing).

The Dockerfile is read with the engine's own parser (`dockerfile.parse`, Docker's) and written
back one canonical line per instruction, so that what does not change the image does not
change the comparison either: comments, blank lines, spacing and line continuations, the case
of instruction names, the order of the packages of one `apt-get install`, `apk add` or
`pip install`, the order of the pairs of one LABEL or ENV, `ENV KEY value` against
`ENV KEY=value`, quoting, and the exec and shell forms of CMD and ENTRYPOINT. `&&` chains keep
their order. The other files the learner sent are compared line by line, spacing collapsed.

A line identical to a line of the lab's starter file of the same name is dropped before
comparing: what everyone was given is not evidence that two learners worked together.
"""

import hashlib
import shlex
from collections.abc import Mapping, Sequence

from common.similarity import shingles

from .dockerfile import DockerfileSyntaxError, Instruction, parse

DOCKERFILE = "Dockerfile"
# Of each file, what is compared: a Dockerfile is at most 64 KB, an upload may be megabytes.
MAX_COMPARED_BYTES = 64 * 1024

_SEPARATORS = {"&&", "||", ";", "|", "&"}
# Options of the installers that take a value as the next word (kept with it when sorting).
_OPTIONS_WITH_VALUE = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-o",
    "-X",
    "--repository",
    "--virtual",
    "--no-binary",
    "--only-binary",
}


def _words(text: str) -> list[str]:
    """A shell command's words, quotes removed and `&&`, `;`, `|` made words of their own."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote: the words as they stand
        return text.split()


def _install_start(words: Sequence[str]) -> int | None:
    """Where the package list of an install command starts, or None if it is not one."""
    for index, word in enumerate(words[:-1]):
        following = words[index + 1]
        if word.rsplit("/", 1)[-1] in ("apt-get", "apt", "aptitude") and following == "install":
            return index + 2
        if word.rsplit("/", 1)[-1] == "apk" and following == "add":
            return index + 2
        if word.rsplit("/", 1)[-1] in ("pip", "pip3") and following == "install":
            return index + 2
    return None


def _canonical_command(words: list[str]) -> list[str]:
    start = _install_start(words)
    if start is None:
        return words
    options: list[str] = []
    packages: list[str] = []
    index = start
    while index < len(words):
        word = words[index]
        if word in _OPTIONS_WITH_VALUE and index + 1 < len(words):
            options.append(f"{word} {words[index + 1]}")
            index += 2
            continue
        (options if word.startswith("-") else packages).append(word)
        index += 1
    return [*words[:start], *sorted(options), *sorted(packages)]


def _canonical_shell(words: Sequence[str]) -> str:
    """Each command of a chain canonical (installs' packages sorted), the chain in its order."""
    out: list[str] = []
    command: list[str] = []
    for word in [*words, "&&"]:
        if word in _SEPARATORS:
            if command:
                out += _canonical_command(command)
            out.append(word)
            command = []
        else:
            command.append(word)
    return " ".join(out[:-1])


def _unquote(value: str) -> str:
    words = _words(value)
    return " ".join(words) if words else ""


def _flags(instruction: Instruction) -> list[str]:
    return sorted(f"--{name}={value}" for name, value in instruction.flags.items())


def _pairs(instruction: Instruction) -> list[str]:
    """LABEL's and ENV's KEY=value pairs, sorted (one instruction's pairs are set together)."""
    if instruction.name == "ENV":
        words = instruction.args
        pairs = list(zip(words[0::2], words[1::2], strict=False))
    else:
        pairs = [(k, v) for k, _, v in (word.partition("=") for word in instruction.args)]
    return sorted(f"{_unquote(key)}={_unquote(value)}" for key, value in pairs)


def canonical_instruction(instruction: Instruction) -> str:
    name = instruction.name
    if name in ("RUN", "CMD", "ENTRYPOINT"):
        # Exec form and shell form: the same words (`CMD ["a", "b"]` = `CMD a b`).
        words = list(instruction.args) if instruction.is_json else _words(instruction.rest)
        body = _canonical_shell(words) if name == "RUN" else " ".join(words)
        return " ".join([name, *_flags(instruction), body]).strip()
    if name in ("ENV", "LABEL"):
        return " ".join([name, *_pairs(instruction)])
    args = list(instruction.args)
    if name == "FROM":
        args = [word.upper() if word.lower() == "as" else word for word in args]
        if len(args) == 3:
            args[2] = args[2].lower()
    return " ".join([name, *_flags(instruction), *args]).strip()


def dockerfile_lines(text: str) -> list[str]:
    """The Dockerfile as canonical instruction lines (see the module's docstring). A file
    Docker's parser refuses is compared by its lines, comments and spacing dropped."""
    try:
        parsed = parse(text)
    except DockerfileSyntaxError:
        return text_lines(_joined_continuations(text), comment="#")
    return [canonical_instruction(instruction) for instruction in parsed.instructions]


def _joined_continuations(text: str) -> str:
    return text.replace("\\\r\n", " ").replace("\\\n", " ")


def text_lines(text: str, *, comment: str | None = None) -> list[str]:
    """The text's lines, spacing collapsed, blank ones (and comment lines, if given) dropped."""
    lines = []
    for line in text.splitlines():
        collapsed = " ".join(line.split())
        if collapsed and not (comment and collapsed.startswith(comment)):
            lines.append(collapsed)
    return lines


def _decoded(data: bytes) -> str | None:
    """The file's first MAX_COMPARED_BYTES as text; None for a binary file."""
    chunk = data[:MAX_COMPARED_BYTES]
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) <= MAX_COMPARED_BYTES or exc.start < len(chunk) - 3:
            return None
        text = chunk[: exc.start].decode("utf-8")  # cut inside a character
    return None if "\x00" in text else text


def file_lines(name: str, data: bytes) -> list[str] | None:
    """A file's lines as compared (canonical for a Dockerfile); None for a binary file."""
    text = _decoded(data)
    if text is None:
        return None
    if name == DOCKERFILE:
        return dockerfile_lines(text)
    return text_lines(text)


def submission_shingles(files: Mapping[str, bytes], *, starter: Mapping[str, bytes]) -> frozenset[str]:
    """What of a submission is compared: the shingles of every line it sent that the starter
    file of that name does not hold; a binary file by its digest, unless it is the starter's."""
    found: set[str] = set()
    for name, data in files.items():
        lines = file_lines(name, data)
        given = starter.get(name)
        if lines is None:
            if given is None or hashlib.sha256(given).digest() != hashlib.sha256(data).digest():
                found.add(f"{name}\x1fsha256:{hashlib.sha256(data).hexdigest()}")
            continue
        starter_lines = set(file_lines(name, given) or ()) if given is not None else set()
        for line in lines:
            if line not in starter_lines:
                found |= shingles(line.split(), part=name)
    return frozenset(found)
