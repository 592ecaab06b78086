"""Reading a learner's Dockerfile: `parse()` for the rules, `gate()` before any build.

The gate exists because the sandbox daemon would pull any unknown base image, and because it
builds with the classic builder of Docker 20.10 (DOCKER_BUILDKIT=0): a learner who used a
BuildKit feature must learn that from a plain sentence, not from a cryptic build error.

The gate must read the file exactly as that builder does, or a line the two read differently
hides an instruction from it. So the lines are split by Docker's own parser (the `dockerfile`
package wraps BuildKit's Go parser), and the words the builder expands are expanded by
`shell_words`, a copy of its lexer. The wrapped parser is newer than 20.10's (BuildKit 0.12
against 0.8); the two differ only in heredocs and in lines that end in more than one carriage
return, and the gate refuses both. `tests/labs/grading/test_gate_differential.py` holds the proof
against the real daemon.
"""

import dataclasses
import functools
import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dockerfile as docker_parser

from common.image_ref import parse_image_ref

from .dockerfile_lines import count_comments, error_line, parser_directives, physical_lines, without_flags
from .shell_words import Binding, Expansion, Scope, ShellWordError, go_lower, go_trim_space, process_word
from .types import Finding

# BuildKit's reWhitespace: what separates an instruction from its arguments, and the
# arguments of FROM, ADD and COPY in shell form (not NBSP nor other Unicode spaces).
_GO_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*\Z")
_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
# $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}; a backslash-escaped \$ is literal.
_VARIABLE = re.compile(r"(?<!\\)\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))")
# `<<EOF`, `<<-EOF`, `<<"EOF"`; not `<<<` (a here-string) nor `1<<3` (a shift).
_HEREDOC = re.compile(r"(?<![<\w])<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Docker fetches http:// and https:// (case-sensitive); git and ftp forms are refused as well.
_URL_SOURCE = re.compile(r"^(https?://|ftp://|git://|git@|ssh://)", re.I)

# Flags only BuildKit understands; the legacy builder fails on them with terse errors.
_BUILDKIT_FLAGS = {
    "RUN": {"mount", "network", "security"},
    "COPY": {"link", "chmod", "parents", "exclude"},
    "ADD": {"link", "chmod", "checksum", "keep-git-dir"},
}
_INSTRUCTIONS = set(docker_parser.all_cmds())  # Docker 20.10 knows the same eighteen


class DockerfileSyntaxError(ValueError):
    """Docker's parser refuses the file; `message` is its own, `line` where it stopped."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line where the instruction starts
    end_line: int
    name: str  # upper-case: FROM, RUN, ...
    value: str  # as written after the keyword, continuation lines joined
    flags: dict[str, str] = field(default_factory=dict)  # leading --name=value options, names lower-cased
    rest: str = ""  # the value without its flags
    is_json: bool = False  # exec form: ["gunicorn", "app:app"]
    args: tuple[str, ...] = ()  # the exec-form list, the builder's words of FROM/ADD/COPY, else split on blanks
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM
    original: str = ""  # the logical line as Docker prints it in "Step i/N : ..."
    raw_flags: tuple[str, ...] = ()  # the flags as the parser read them: ("--from=build",)
    heredocs: tuple[str, ...] = ()  # names of heredocs BuildKit would read after this line
    expanded: tuple[Expansion, ...] = ()  # ADD/COPY: each word as the builder expands it
    error: str | None = None  # the builder would stop here expanding a variable


@dataclass(frozen=True)
class Stage:
    index: int
    line: int
    raw_image: str  # as written: python:${PY}
    image: str  # as the builder expands it with the ARGs of the global scope
    alias: str | None  # lower-case, as Docker compares stage names
    unresolved: tuple[str, ...] = ()  # variables in FROM with no value
    parent: int | None = None  # index of the earlier stage it builds on (FROM builder)
    instructions: tuple[Instruction, ...] = ()  # the stage's instructions after its FROM
    certain: bool = True  # False when FROM's expansion may differ from the builder's
    error: str | None = None  # the builder would stop expanding FROM


@dataclass(frozen=True)
class ParsedDockerfile:
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: int  # comment lines, parser directives excluded
    directives: dict[str, tuple[str, int]]  # name -> (value, line), e.g. {"syntax": ("docker/dockerfile:1", 1)}
    meta_args: dict[str, str | None]  # ARGs before the first FROM: name -> default (None without one)
    line_count: int
    escape: str = "\\"

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the earlier stages it builds on, oldest first (FROM builder AS app)."""
        chain = [stage]
        while chain[0].parent is not None:
            chain.insert(0, self.stages[chain[0].parent])
        return chain

    def base_of(self, stage: Stage) -> Stage:
        """The stage of the lineage whose FROM names a real image."""
        return self.lineage(stage)[0]


def expand_variables(word: str, variables: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """The rules' rough substitution of ARG/ENV values (the gate uses `shell_words`): text and names left without a value."""
    unresolved: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match[1] or match[4]
        operator, word_ = match[2] or "", match[3] or ""
        value = variables.get(name)
        if operator.endswith("-"):
            return value if value else word_
        if operator.endswith("+"):
            return word_ if value else ""
        if value is None:
            unresolved.append(name)
            return ""
        return value

    return _VARIABLE.sub(substitute, word), unresolved


def split_key_values(text: str) -> list[tuple[str, str | None]]:
    """ARG/ENV pairs for the rules: `A=1 B="two words"`, or the legacy `ENV KEY value with spaces`."""
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:  # unbalanced quotes: keep going with a rough split
        words = text.split()
    if words and "=" not in words[0]:
        if len(words) > 1:  # ENV KEY value
            return [(words[0], " ".join(words[1:]))]
        return [(words[0], None)]  # ARG NAME
    return [(k, v) for k, _, v in (w.partition("=") for w in words)]


# A variable's name that depends on what the gate cannot know would make every later value unknown.
_UNCERTAIN_NAME = "the variable's name depends on a value only known at build time"


def _pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    """ARG's and ENV's (name, value) as the parser split them; ARG's value is None without '='."""
    if instruction.name == "ENV":
        words = instruction.args
        return list(zip(words[0::2], words[1::2], strict=False))  # an odd word out is dropped
    return [
        (key, value if has_value else None) for key, has_value, value in (w.partition("=") for w in instruction.args)
    ]


def _assignments(instruction: Instruction, scope: Scope, escape: str) -> list[tuple[Expansion, Expansion | None]]:
    """ARG/ENV pairs expanded as the builder does: all of them with the scope before the line."""
    return [
        (process_word(key, scope, escape), None if value is None else process_word(value, scope, escape))
        for key, value in _pairs(instruction)
    ]


def _instruction(command: docker_parser.Command, stage: int) -> Instruction:
    name = command.cmd.upper()
    logical = go_trim_space(command.original.split("\n", 1)[0])
    parts = _GO_WHITESPACE.split(logical, maxsplit=1)
    value = parts[1] if len(parts) == 2 else ""
    rest = go_trim_space(without_flags(value))
    flags: dict[str, str] = {}
    for raw in command.flags:
        flag_name, has_value, flag_value = raw.removeprefix("--").partition("=")
        flags[flag_name.lower()] = flag_value if has_value else "true"
    # FROM, ADD and COPY: the words exactly as the builder gets them, never re-split here.
    exact = command.json or name in ("FROM", "ADD", "COPY", "ARG", "ENV")
    return Instruction(
        line=command.start_line,
        end_line=command.end_line,
        name=name,
        value=value,
        flags=flags,
        rest=rest,
        is_json=command.json,
        args=tuple(command.value) if exact else tuple(rest.split()),
        stage=stage,
        original=logical,
        raw_flags=tuple(command.flags),
        heredocs=tuple(h.name for h in command.heredocs),
    )


def _stage(instruction: Instruction, index: int, earlier: list[Stage], meta: dict[str, Binding], escape: str) -> Stage:
    words = instruction.args
    raw_image = words[0] if words else ""
    # FROM x AS name: Go's EqualFold for "as", ToLower for the name.
    alias = go_lower(words[2]) if len(words) == 3 and words[1].casefold() == "as" else None
    try:
        expansion = process_word(raw_image, Scope(meta, closed=True), escape)
        image, unresolved, certain, error = expansion.text, expansion.unresolved, expansion.certain, None
    except ShellWordError as exc:
        image, unresolved, certain, error = raw_image, (), False, str(exc)
    # Only stages already built can be named, compared as Docker does (lower-cased).
    parent = next((s.index for s in earlier if image and s.alias and s.alias == go_lower(image)), None)
    return Stage(index, instruction.line, raw_image, image, alias, tuple(unresolved), parent, (), certain, error)


@functools.lru_cache(maxsize=32)  # the gate and then the rules read the same text: parse it once
def parse(text: str) -> ParsedDockerfile:
    """The Dockerfile as Docker's parser reads it; raises DockerfileSyntaxError where Docker would."""
    try:
        commands = docker_parser.parse_string(text)
    except docker_parser.GoParseError as exc:
        if str(exc) != "file with no instructions":  # an empty file is the gate's own case
            raise DockerfileSyntaxError(str(exc), error_line(text, str(exc))) from None
        commands = ()
    lines = physical_lines(text)
    directives = parser_directives(lines)
    escape = directives.get("escape", ("\\",))[0]

    instructions: list[Instruction] = []
    stages: list[Stage] = []
    meta: dict[str, Binding] = {}
    for command in commands:
        instruction = _instruction(command, len(stages) - (command.cmd.upper() != "FROM"))
        if instruction.name == "ARG" and not stages:
            instruction = _with_meta_arg(instruction, meta, escape)
        elif instruction.name == "FROM":
            stages.append(_stage(instruction, len(stages), stages, meta, escape))
        instructions.append(instruction)

    instructions = _expand_stages(instructions, stages, meta, escape)
    by_stage: dict[int, list[Instruction]] = {}
    for instruction in instructions:
        if instruction.name != "FROM" and instruction.stage >= 0:
            by_stage.setdefault(instruction.stage, []).append(instruction)
    stages = [dataclasses.replace(s, instructions=tuple(by_stage.get(s.index, ()))) for s in stages]
    meta_args = {name: binding.value for name, binding in meta.items()}
    comments = count_comments(lines, {line for _, line in directives.values()})
    return ParsedDockerfile(tuple(instructions), tuple(stages), comments, directives, meta_args, len(lines), escape)


def _with_meta_arg(instruction: Instruction, meta: dict[str, Binding], escape: str) -> Instruction:
    """An ARG before the first FROM: expanded with the ARGs above it, then added to them."""
    scope = Scope({k: b for k, b in meta.items() if b.value is not None}, closed=True)
    try:
        pairs = _assignments(instruction, scope, escape)
    except ShellWordError as exc:
        return dataclasses.replace(instruction, error=str(exc))
    if not all(key.certain for key, _ in pairs):
        return dataclasses.replace(instruction, error=_UNCERTAIN_NAME)
    for key, value in pairs:
        meta[key.text] = Binding(None if value is None else value.text, value is None or value.certain)
    return instruction


_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _expand_stages(
    instructions: list[Instruction], stages: list[Stage], meta: dict[str, Binding], escape: str
) -> list[Instruction]:
    """ADD/COPY words expanded with each stage's ARG and ENV, as the builder does at that step.

    The builder's scope is the base image's ENV, then the stage's ENV, then the stage's ARGs
    (an ARG without a value takes the global default). The base image's ENV is unknown here,
    so unless the lineage starts FROM scratch, a name only an ARG sets is not certain: the
    image could set it too, and its ENV would win.
    """
    env_at_end: dict[int, dict[str, Binding]] = {}
    result = list(instructions)
    positions = {id(i): n for n, i in enumerate(instructions)}
    for stage in stages:
        root = stage
        while root.parent is not None:
            root = stages[root.parent]
        closed = root.image == "scratch" and root.certain
        if stage.parent is not None:
            env = dict(env_at_end.get(stage.parent, {}))
        else:  # the builder gives every stage a PATH, FROM scratch too
            env = {"PATH": Binding(_DEFAULT_PATH)} if closed else {}
        args: dict[str, Binding] = {}
        for instruction in (i for i in instructions if i.stage == stage.index and i.name != "FROM"):
            scope = Scope({**{k: Binding(b.value, b.certain and closed) for k, b in args.items()}, **env}, closed)
            try:
                if instruction.name in ("ARG", "ENV"):
                    pairs = _assignments(instruction, scope, escape)
                elif instruction.name in ("ADD", "COPY"):
                    expanded = tuple(process_word(word, scope, escape) for word in instruction.args)
                    result[positions[id(instruction)]] = dataclasses.replace(instruction, expanded=expanded)
                    continue
                else:
                    continue
            except ShellWordError as exc:
                result[positions[id(instruction)]] = dataclasses.replace(instruction, error=str(exc))
                continue
            if not all(key.certain for key, _ in pairs):
                result[positions[id(instruction)]] = dataclasses.replace(instruction, error=_UNCERTAIN_NAME)
                continue
            for key, value in pairs:
                if instruction.name == "ENV":
                    assert value is not None  # ENV's words come in pairs: each name has its value (_pairs)
                    env[key.text] = Binding(value.text, key.certain and value.certain)
                elif value is not None:
                    args[key.text] = Binding(value.text, key.certain and value.certain)
                else:
                    args[key.text] = meta.get(key.text, Binding(None))
        env_at_end[stage.index] = env
    return result


# ---------------------------------------------------------------------------------- gate


def gate(raw: bytes, *, allowed_bases: list[str], max_bytes: int = 64_000, max_lines: int = 1000) -> list[Finding]:
    """The failing findings of the static gate; an empty list means the build may start."""
    try:
        return _gate(raw, allowed_bases, max_bytes, max_lines)
    except Exception as exc:  # noqa: BLE001 — hostile text must become a rejection, never a crash
        return [Finding(False, "gate.unreadable", {"error": type(exc).__name__})]


def _reject(message_id: str, line: int | None = None, **params: Any) -> Finding:
    if line is not None:
        params["line"] = line
    return Finding(False, message_id, params, line)


def _gate(raw: bytes, allowed_bases: list[str], max_bytes: int, max_lines: int) -> list[Finding]:
    # Size first, on bytes, so that a huge upload costs nothing to refuse.
    if len(raw) > max_bytes:
        return [_reject("gate.too_many_bytes", size=len(raw), max=max_bytes)]
    line_count = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if line_count > max_lines:
        return [_reject("gate.too_many_lines", lines=line_count, max=max_lines)]
    if b"\x00" in raw:
        return [_reject("gate.binary", raw[: raw.index(b"\x00")].count(b"\n") + 1)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [_reject("gate.not_utf8", raw[: exc.start].count(b"\n") + 1)]
    control = _CONTROL_CHARS.search(text)
    if control:
        return [_reject("gate.binary", text[: control.start()].count("\n") + 1)]
    # Docker 20.10 drops one CR before a line's end, the parser read here drops them all.
    stray = _STRAY_CR.search(text)
    if stray:
        return [_reject("gate.stray_carriage_return", text[: stray.start()].count("\n") + 1)]

    try:
        parsed = parse(text)
    except DockerfileSyntaxError as exc:
        if "heredoc" in exc.message:
            return [_reject("gate.heredoc", exc.line, instruction="RUN/COPY/ADD", marker="<<")]
        return [_reject("gate.parse_error", exc.line, error=exc.message)]
    if not parsed.instructions:
        return [_reject("gate.empty")]
    findings = []
    if "syntax" in parsed.directives:
        findings.append(_reject("gate.buildkit_directive", parsed.directives["syntax"][1]))
    unknown = [i for i in parsed.instructions if i.name.lower() not in _INSTRUCTIONS]
    findings += [_reject("gate.unknown_instruction", i.line, instruction=i.original.split()[0]) for i in unknown]
    if not parsed.stages:
        return findings + [_reject("gate.no_from")]
    first_other = next((i for i in parsed.instructions if i.stage < 0 and i.name != "ARG"), None)
    if first_other:
        findings.append(_reject("gate.before_from", first_other.line, instruction=first_other.name))
    findings += [_substitution_error(i) for i in parsed.instructions if i.stage < 0 and i.error]

    allowed = {}
    for base in allowed_bases:
        ref = None if base == "scratch" else parse_image_ref(base)
        allowed[ref.canonical if ref else base] = base
    allowed_text = ", ".join(allowed_bases) or "-"

    for stage in parsed.stages:
        findings += _check_from(parsed, stage, allowed, allowed_text)
        for instruction in stage.instructions:
            findings += _check_instruction(instruction, stage, parsed, allowed, allowed_text)
    return findings


_STRAY_CR = re.compile(r"\r(?!\n)")


def _substitution_error(instruction: Instruction) -> Finding:
    return _reject("gate.bad_substitution", instruction.line, instruction=instruction.original, error=instruction.error)


def _allowed_image(image: str, allowed: dict[str, str]) -> bool:
    if image == "scratch":
        return "scratch" in allowed
    ref = parse_image_ref(image)
    return ref is not None and ref.canonical in allowed


def _check_from(parsed: ParsedDockerfile, stage: Stage, allowed: dict[str, str], allowed_text: str) -> list[Finding]:
    from_instruction = next(i for i in parsed.instructions if i.name == "FROM" and i.line == stage.line)
    findings = []
    if "platform" in from_instruction.flags:
        findings.append(_reject("gate.from_platform", stage.line))
    words = from_instruction.args
    if len(words) not in (1, 3) or (len(words) == 3 and (stage.alias is None or not _STAGE_NAME.match(stage.alias))):
        return findings + [_reject("gate.from_syntax", stage.line, value=from_instruction.original)]
    if stage.alias and any(s.alias == stage.alias for s in parsed.stages[: stage.index]):
        findings.append(_reject("gate.stage_name_used", stage.line, name=stage.alias))
    if stage.error:
        return findings + [
            _reject("gate.bad_substitution", stage.line, instruction=from_instruction.original, error=stage.error)
        ]
    if not stage.raw_image:
        return findings + [_reject("gate.from_invalid", stage.line, image="")]
    if stage.unresolved or not stage.certain:
        variables = ", ".join(stage.unresolved) or stage.raw_image
        return findings + [_reject("gate.from_unresolved", stage.line, image=stage.raw_image, variables=variables)]
    if stage.parent is not None:
        return findings
    ref = parse_image_ref(stage.image)
    if stage.image != "scratch" and ref is None:
        return findings + [_reject("gate.from_invalid", stage.line, image=stage.image)]
    if ref is not None and ref.digest and not ref.tag:
        return findings + [_reject("gate.from_digest_only", stage.line, image=stage.image, allowed=allowed_text)]
    if not _allowed_image(stage.image, allowed):
        findings.append(_reject("gate.from_not_allowed", stage.line, image=stage.image, allowed=allowed_text))
    return findings


def _is_earlier_stage(reference: str, stage: Stage, parsed: ParsedDockerfile) -> bool:
    """Docker's lookup of COPY --from: a built stage's name (lower-cased), else its index."""
    earlier = parsed.stages[: stage.index]
    if any(s.alias == go_lower(reference) for s in earlier):
        return True
    # strconv.ParseInt(reference, 10, 0): ASCII digits with an optional sign, 64 bits.
    return bool(_GO_INT.match(reference)) and abs(int(reference)) < 2**63 and 0 <= int(reference) < stage.index


def _check_instruction(
    instruction: Instruction, stage: Stage, parsed: ParsedDockerfile, allowed: dict[str, str], allowed_text: str
) -> list[Finding]:
    findings = []
    name, line = instruction.name, instruction.line
    for flag in sorted(_BUILDKIT_FLAGS.get(name, set()) & instruction.flags.keys()):
        message_id = "gate.buildkit_chmod" if flag == "chmod" else "gate.buildkit_flag"
        findings.append(_reject(message_id, line, instruction=name, flag=f"--{flag}"))
    if instruction.heredocs:
        return findings + [_reject("gate.heredoc", line, instruction=name, marker=f"<<{instruction.heredocs[0]}")]
    if name in ("RUN", "COPY", "ADD"):
        heredoc = None if "$((" in instruction.rest else _HEREDOC.search(instruction.rest)
        if heredoc:
            return findings + [_reject("gate.heredoc", line, instruction=name, marker=heredoc[0])]
    if instruction.error:
        findings.append(_substitution_error(instruction))
    if name not in ("COPY", "ADD"):
        return findings

    # Every --from the parser saw (Docker refuses repeated or upper-case ones, but may read them).
    sources_of_copy = [
        raw.partition("=")[2] for raw in instruction.raw_flags if raw[2:].partition("=")[0].lower() == "from"
    ]
    if sources_of_copy:
        for source in sources_of_copy:
            if not _is_earlier_stage(source, stage, parsed) and not _allowed_image(source, allowed):
                findings.append(_reject("gate.copy_from_not_allowed", line, source=source, allowed=allowed_text))
        return findings  # the sources are paths inside that stage or image, not in the context

    if len(instruction.args) < 2:
        return findings + [_reject("gate.copy_needs_destination", line, instruction=name, value=instruction.rest)]
    if instruction.error:
        return findings
    for word, expansion in zip(instruction.args[:-1], instruction.expanded, strict=False):
        source = expansion.text
        if name == "ADD" and _URL_SOURCE.match(source):
            findings.append(_reject("gate.add_url", line, source=source))
        elif name == "ADD" and not expansion.certain:
            findings.append(_reject("gate.add_unresolved", line, source=word))
        elif expansion.certain and (source.startswith("/") or posixpath.normpath(source).split("/")[0] == ".."):
            findings.append(_reject("gate.source_outside_context", line, instruction=name, source=source))
    return findings
