"""Parse and compare Docker CLI commands by meaning, never executing anything.

Quiz answers of kind "command" are typed by learners: `docker run -p 8080:5000 -d app` and
`docker container run --detach --publish=8080:5000 app` mean the same thing and must both
pass, while a missing `-d` must be named in words the learner understands. So the command is
tokenized with shlex (never a shell), flags are mapped to a canonical long name per
subcommand, values are normalized (ports, image tags, paths) and the two commands are
compared as sets of meanings. Pure Python: the Django side calls it, and its messages are
translated with common.i18n on the project's catalogue, in the language the caller passes.
The module runs past 400 lines because it ends with its catalogue of messages.
"""

from __future__ import annotations

import posixpath
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.i18n import gettext, gettext_noop
from common.image_ref import parse_image_ref

__all__ = [
    "CommandComparison",
    "CommandParseError",
    "DockerCommand",
    "Problem",
    "compare_commands",
    "describe",
    "parse_docker_command",
]


class CommandParseError(ValueError):
    """The text is not a readable docker command; `code` says why, `text()` in words (pt-BR by default)."""

    def __init__(self, code: str, *, flag: str | None = None, program: str | None = None):
        self.code, self.flag, self.program = code, flag, program
        super().__init__(self.text())

    def text(self, lang: str | None = None) -> str:
        return _parse_error_text(self.code, lang, flag=self.flag, program=self.program)

    @property
    def message(self) -> str:
        return self.text()


@dataclass(frozen=True)
class FlagSpec:
    long: str  # canonical name ("--detach"): what comparisons and messages use
    short: str | None  # "-d"
    takes_value: bool
    repeatable: bool  # repeatable flags are compared as sets of values
    kind: str  # how values are normalized: text, port, image, path


def _spec(*notations: str) -> dict[str, FlagSpec]:
    """Compact notation "p|publish=port*": short|long, "=" takes a value (kind), "*" repeatable."""
    table: dict[str, FlagSpec] = {}
    for notation in notations:
        names, eq, kind = notation.partition("=")
        repeatable = kind.endswith("*")
        short, _, long = names.rpartition("|")
        spec = FlagSpec("--" + long, "-" + short if short else None, bool(eq), repeatable, kind.rstrip("*") or "text")
        table[spec.long] = spec
        if spec.short:
            table[spec.short] = spec
    return table


# The flags the lesson uses, plus common neighbours, so that a learner's extra flag is
# recognized (and its value consumed) rather than misread as the image name.
_SPECS: dict[str, dict[str, FlagSpec]] = {
    "run": _spec(
        "d|detach",
        "p|publish=port*",
        "name=",
        "v|volume=*",
        "e|env=*",
        "env-file=*",
        "rm",
        "i|interactive",
        "t|tty",
        "network=",
        "restart=",
        "w|workdir=",
        "u|user=",
        "entrypoint=",
        "P|publish-all",
        "m|memory=",
        "cpus=",
        "h|hostname=",
        "platform=",
        "pull=",
        "read-only",
        "mount=*",
        "l|label=*",
    ),
    "exec": _spec("d|detach", "i|interactive", "t|tty", "e|env=*", "u|user=", "w|workdir=", "privileged"),
    "build": _spec(
        "t|tag=image*",
        "f|file=path",
        "build-arg=*",
        "no-cache",
        "pull",
        "target=",
        "q|quiet",
        "platform=",
        "progress=",
        "label=*",
    ),
    "logs": _spec("f|follow", "n|tail=", "t|timestamps", "since=", "until=", "details"),
    "ps": _spec("a|all", "q|quiet", "f|filter=*", "n|last=", "l|latest", "s|size", "format=", "no-trunc"),
    "images": _spec("a|all", "q|quiet", "f|filter=*", "format=", "digests", "no-trunc"),
    "rm": _spec("f|force", "v|volumes", "l|link"),
    "rmi": _spec("f|force", "no-prune"),
    "stop": _spec("t|time=", "s|signal="),
    "start": _spec("a|attach", "i|interactive"),
    "pull": _spec("a|all-tags", "q|quiet", "platform="),
    "push": _spec("a|all-tags", "q|quiet"),
}
_SPECS["run"]["--net"] = _SPECS["run"]["--network"]  # old spelling, same meaning

# Management-command spellings of the classic subcommands (docker container run == docker run).
_ALIASES = {
    ("container", "run"): "run",
    ("container", "exec"): "exec",
    ("container", "logs"): "logs",
    ("container", "ls"): "ps",
    ("container", "list"): "ps",
    ("container", "ps"): "ps",
    ("container", "stop"): "stop",
    ("container", "start"): "start",
    ("container", "rm"): "rm",
    ("container", "remove"): "rm",
    ("image", "build"): "build",
    ("builder", "build"): "build",
    ("buildx", "build"): "build",
    ("image", "ls"): "images",
    ("image", "list"): "images",
    ("image", "rm"): "rmi",
    ("image", "remove"): "rmi",
    ("image", "pull"): "pull",
    ("image", "push"): "push",
}
_MANAGEMENT = {"container", "image", "builder", "buildx"}
# What the positional arguments mean; run and exec stop reading flags at the first one
# because what follows is the container's own command (docker run app ls -l).
_ROLES = {
    "run": "image+command",
    "exec": "container+command",
    "build": "context",
    "rmi": "images",
    "pull": "images",
    "push": "images",
}
_GLOBAL_WITH_VALUE = {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level"}
_FALSE = {"false", "0", "no"}
_CHAINING = {"&&", "||", ";", "|", "&"}


@dataclass
class DockerCommand:
    subcommand: str  # canonical: "run", "build", "ps"...
    switches: list[str] = field(default_factory=list)  # flags without value, canonical long names
    options: dict[str, list[str]] = field(default_factory=dict)  # valued flags -> raw values in order
    arguments: list[str] = field(default_factory=list)  # positionals (run: [image])
    command: list[str] = field(default_factory=list)  # run/exec: the container's command
    unknown_flags: list[str] = field(default_factory=list)  # kept and reported, never fatal
    raw: str = ""

    @property
    def image(self) -> str | None:
        return self.arguments[0] if self.subcommand == "run" and self.arguments else None


def parse_docker_command(text: str) -> DockerCommand:
    """Read one docker command line (optional "$ " prompt and "sudo"); raise CommandParseError."""
    line = text.strip().replace("\\\n", " ")  # continuation lines copied from a terminal
    if line.startswith("$"):
        line = line[1:].lstrip()
    try:
        words = _split(line)
    except ValueError as exc:
        raise CommandParseError("quoting") from exc
    if words and words[0] == "sudo":
        words = words[1:]
        while words and words[0].startswith("-"):  # sudo -E docker ...
            words = words[1:]
    if not words:
        raise CommandParseError("empty")
    if posixpath.basename(words[0]) != "docker":
        raise CommandParseError("not_docker", program=words[0])
    if any(word in _CHAINING for word in words):
        raise CommandParseError("chained")
    cmd = DockerCommand(subcommand="", raw=text)
    rest = words[1:]
    while rest and rest[0].startswith("-"):  # global options (docker -H host run ...): kept, not judged
        flag = rest.pop(0)
        cmd.unknown_flags.append(flag)
        if flag in _GLOBAL_WITH_VALUE and rest:
            rest.pop(0)
    if not rest:
        raise CommandParseError("no_subcommand")
    sub = rest.pop(0)
    if sub in _MANAGEMENT and rest and not rest[0].startswith("-"):
        second = rest.pop(0)
        sub = _ALIASES.get((sub, second), f"{sub} {second}")
    cmd.subcommand = sub
    _parse_arguments(cmd, rest, _SPECS.get(sub, {}), _ROLES.get(sub, "names").endswith("+command"))
    return cmd


def _split(line: str) -> list[str]:
    """shlex words, with unquoted ; & | split off so that chaining is seen ("app;" is not an image)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split, lexer.commenters = True, ""  # "#" inside A=b#c is not a comment
    return list(lexer)


def _parse_arguments(cmd: DockerCommand, rest: list[str], specs: dict[str, FlagSpec], stops: bool) -> None:
    positionals: list[str] = []
    i = 0
    while i < len(rest):
        word, i = rest[i], i + 1
        if word == "--":
            positionals += rest[i:]
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word.partition("=")
            spec = specs.get(name)
            if spec and spec.takes_value and not eq:
                if i >= len(rest):
                    raise _missing_value(spec.long)
                value, i = rest[i], i + 1
            _store(cmd, spec, name, value if (eq or (spec and spec.takes_value)) else None)
        elif word.startswith("-") and word != "-":
            j = 1
            while j < len(word):  # -it == -i -t; -dp 8080:5000; -p8080:5000; -p=8080:5000
                spec = specs.get("-" + word[j])
                j += 1
                if spec and spec.takes_value:
                    value = word[j:].removeprefix("=")
                    if not value:
                        if i >= len(rest):
                            raise _missing_value(spec.long)
                        value, i = rest[i], i + 1
                    _store(cmd, spec, spec.long, value)
                    break
                _store(cmd, spec, "-" + word[j - 1], None)
        else:
            positionals.append(word)
            if stops:
                positionals += rest[i:]
                break
    if stops and positionals:
        cmd.arguments, cmd.command = positionals[:1], positionals[1:]
    else:
        cmd.arguments = positionals


def _store(cmd: DockerCommand, spec: FlagSpec | None, name: str, value: str | None) -> None:
    if spec is None:
        cmd.unknown_flags.append(name)
    key = spec.long if spec else name
    if spec is not None and not spec.takes_value:
        if value is not None and value.lower() in _FALSE:  # --rm=false: the flag is off
            if key in cmd.switches:
                cmd.switches.remove(key)
        elif key not in cmd.switches:
            cmd.switches.append(key)
    elif value is None:
        if key not in cmd.switches:
            cmd.switches.append(key)
    elif spec is None or spec.repeatable:
        cmd.options.setdefault(key, []).append(value)
    else:
        cmd.options[key] = [value]  # docker keeps the last of a repeated single-value flag


def _missing_value(flag: str) -> CommandParseError:
    return CommandParseError("missing_value", flag=flag)


# -- normalization -----------------------------------------------------------------------


def normalize_port(value: str) -> str:
    """ "0.0.0.0:8080:5000/tcp" -> "8080:5000": all interfaces and TCP are docker's defaults."""
    spec, _, proto = value.partition("/")
    if spec.startswith("["):  # [::1]:8080:5000
        ip, _, ports = spec[1:].partition("]")
        ip, ports = f"[{ip}]", ports.lstrip(":")
    else:
        parts = spec.split(":")
        ip, ports = (parts[0], ":".join(parts[1:])) if len(parts) == 3 else ("", spec)
    text = ports if ip in ("", "0.0.0.0") else f"{ip}:{ports}"
    return text if proto.lower() in ("", "tcp") else f"{text}/{proto.lower()}"


def _normalize(kind: str, value: str) -> str:
    if kind == "port":
        return normalize_port(value)
    if kind == "image":  # python == docker.io/library/python:latest; what is no reference, as typed
        ref = parse_image_ref(value)
        return ref.reference if ref else value
    if kind == "path" and "://" not in value and value != "-":
        return posixpath.normpath(value)
    return value


# -- comparison --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str  # not_docker, wrong_subcommand, missing_flag, unexpected_flag,
    # wrong_value, wrong_image, wrong_argument, parse_error
    flag: str | None = None  # canonical long name ("--detach") or an unknown flag as typed
    expected: str | None = None
    given: str | None = None
    detail: str = ""  # parse_error: the CommandParseError code; wrong_argument: the role


_PROBLEM_DEFAULTS: dict[str, Any] = {"code": "", "flag": None, "expected": None, "given": None, "detail": ""}


@dataclass
class CommandComparison:
    equivalent: bool
    problems: list[Problem]
    given: DockerCommand | None = None
    expected: DockerCommand | None = None


def compare_commands(given: str, expected: str) -> CommandComparison:
    """Compare by meaning. A broken `expected` is the author's fault: CommandParseError propagates."""
    exp = parse_docker_command(expected)
    try:
        got = parse_docker_command(given)
    except CommandParseError as exc:
        if exc.code == "not_docker":
            problem = Problem("not_docker", expected="docker", given=exc.program)
        else:
            problem = Problem("parse_error", flag=exc.flag, given=given, detail=exc.code)
        return CommandComparison(False, [problem], None, exp)
    if got.subcommand != exp.subcommand:
        # Flags of another subcommand mean other things: naming them would only confuse.
        problems = [Problem("wrong_subcommand", expected=exp.subcommand, given=got.subcommand)]
        return CommandComparison(False, problems, got, exp)
    specs = _SPECS.get(exp.subcommand, {})
    problems = [Problem("missing_flag", flag) for flag in exp.switches if flag not in got.switches]
    problems += [Problem("unexpected_flag", flag) for flag in got.switches if flag not in exp.switches]
    for flag in list(exp.options) + [f for f in got.options if f not in exp.options]:
        kind = specs[flag].kind if flag in specs else "text"
        problems += _compare_values(flag, kind, exp.options.get(flag, []), got.options.get(flag, []))
    problems += _compare_positionals(exp, got)
    return CommandComparison(not problems, problems, got, exp)


def _unmatched(kind: str, ours: list[str], theirs: list[str]) -> list[str]:
    """Values of `ours` not in `theirs`, as multisets after normalization (raw text kept for messages)."""
    left = Counter(_normalize(kind, v) for v in theirs)
    out = []
    for value in ours:
        norm = _normalize(kind, value)
        if left[norm]:
            left[norm] -= 1
        else:
            out.append(value)
    return out


def _compare_values(flag: str, kind: str, exp: list[str], got: list[str]) -> list[Problem]:
    missing, extra = _unmatched(kind, exp, got), _unmatched(kind, got, exp)
    problems = [Problem("wrong_value", flag, e, g) for e, g in zip(missing, extra, strict=False)]
    problems += [Problem("missing_flag", flag, expected=e) for e in missing[len(extra) :]]
    problems += [Problem("unexpected_flag", flag, given=g) for g in extra[len(missing) :]]
    return problems


def _compare_positionals(exp: DockerCommand, got: DockerCommand) -> list[Problem]:
    role = _ROLES.get(exp.subcommand, "names")
    if role.endswith("+command"):
        problems = []
        head = role.split("+")[0]
        e_head, g_head = (exp.arguments or [""])[0], (got.arguments or [""])[0]
        if head == "image" and _normalize("image", e_head) != _normalize("image", g_head):
            problems.append(Problem("wrong_image", expected=e_head, given=g_head))
        elif head != "image" and e_head != g_head:
            problems.append(Problem("wrong_argument", expected=e_head, given=g_head, detail=head))
        if exp.command != got.command:
            problems.append(
                Problem(
                    "wrong_argument", expected=shlex.join(exp.command), given=shlex.join(got.command), detail="command"
                )
            )
        return problems
    kind = {"images": "image", "context": "path"}.get(role, "text")
    code = "wrong_image" if role == "images" else "wrong_argument"
    missing = _unmatched(kind, exp.arguments, got.arguments)
    extra = _unmatched(kind, got.arguments, exp.arguments)
    pairs = list(zip(missing, extra, strict=False))
    pairs += [(e, "") for e in missing[len(extra) :]] + [("", g) for g in extra[len(missing) :]]
    return [Problem(code, expected=e, given=g, detail=role) for e, g in pairs]


# -- learner-readable messages -----------------------------------------------------------
# English msgids marked for the project's catalogue; the Portuguese is in django.po.

_SHORTS = {s.long: s.short for table in _SPECS.values() for s in table.values() if s.short}

# flag -> (why it should be there, what it does): the flag's meaning, in words.
_MEANINGS = {
    "--detach": (
        gettext_noop("the container must run in the background"),
        gettext_noop("it runs the container in the background"),
    ),
    "--publish": (
        gettext_noop("the container port must be published on the host"),
        gettext_noop("it publishes a container port on the host"),
    ),
    "--name": (gettext_noop("the container must get a name"), gettext_noop("it names the container")),
    "--volume": (
        gettext_noop("a volume or directory must be mounted in the container"),
        gettext_noop("it mounts a volume or directory in the container"),
    ),
    "--env": (
        gettext_noop("an environment variable must be set in the container"),
        gettext_noop("it sets an environment variable in the container"),
    ),
    "--rm": (
        gettext_noop("the container must be removed when it exits"),
        gettext_noop("it removes the container when it exits"),
    ),
    "--interactive": (
        gettext_noop("standard input must stay open (interactive mode)"),
        gettext_noop("it keeps standard input open (interactive mode)"),
    ),
    "--tty": (gettext_noop("a terminal must be allocated"), gettext_noop("it allocates a terminal (TTY)")),
    "--network": (
        gettext_noop("the container must join a network"),
        gettext_noop("it connects the container to a network"),
    ),
    "--restart": (gettext_noop("the container must have a restart policy"), gettext_noop("it sets the restart policy")),
    "--tag": (gettext_noop("the image must get a name and tag"), gettext_noop("it names and tags the image")),
    "--file": (gettext_noop("the Dockerfile to use must be given"), gettext_noop("it chooses which Dockerfile to use")),
    "--no-cache": (gettext_noop("the build must not use the cache"), gettext_noop("it builds without the cache")),
    "--follow": (gettext_noop("the logs must be followed live"), gettext_noop("it follows the logs live")),
    "--tail": (gettext_noop("only the last lines must be shown"), gettext_noop("it shows only the last lines")),
    "--all": (
        gettext_noop("all must be listed, stopped ones included"),
        gettext_noop("it lists all, stopped ones included"),
    ),
    "--quiet": (gettext_noop("only IDs must be shown"), gettext_noop("it shows only IDs")),
    "--force": (gettext_noop("removal must be forced"), gettext_noop("it forces removal")),
    "--time": (
        gettext_noop("the wait before forcing the stop must be set"),
        gettext_noop("it sets how many seconds to wait"),
    ),
}
_VALUE_LABELS = {
    "--publish": gettext_noop("The published port"),
    "--name": gettext_noop("The container name"),
    "--tag": gettext_noop("The image tag"),
    "--file": gettext_noop("The Dockerfile"),
    "--volume": gettext_noop("The mounted volume"),
    "--env": gettext_noop("The environment variable"),
    "--network": gettext_noop("The network"),
    "--restart": gettext_noop("The restart policy"),
    "--tail": gettext_noop("The number of lines"),
    "--time": gettext_noop("The wait time"),
}
_SUBCOMMAND_MEANINGS = {
    "run": gettext_noop("creates and starts a container from an image"),
    "start": gettext_noop("starts an existing container"),
    "exec": gettext_noop("runs a command in a running container"),
    "build": gettext_noop("builds an image from a Dockerfile"),
    "ps": gettext_noop("lists containers"),
    "images": gettext_noop("lists images"),
    "stop": gettext_noop("stops a container"),
    "rm": gettext_noop("removes containers"),
    "rmi": gettext_noop("removes images"),
    "logs": gettext_noop("shows a container's logs"),
    "pull": gettext_noop("downloads an image"),
    "push": gettext_noop("uploads an image"),
}
# Why a command could not be read, by CommandParseError code: the exception's message and
# the learner's feedback are the same text.
_PARSE_ERRORS = {
    "quoting": gettext_noop("The command has an unclosed quote."),
    "empty": gettext_noop("The command is empty."),
    "not_docker": gettext_noop("The command should start with docker, but it starts with {program}."),
    "no_subcommand": gettext_noop("The subcommand after docker is missing (for example, docker run)."),
    "missing_value": gettext_noop("Option {flag} needs a value."),
    "chained": gettext_noop("Write a single docker command, without chaining with &&, ; or |."),
}
_UNREADABLE = gettext_noop("The command could not be read.")
_ROLE_NOUNS = {
    "command": gettext_noop("The command run in the container"),
    "container": gettext_noop("The container"),
    "context": gettext_noop("The build context"),
}
_IMAGE, _ARGUMENT = gettext_noop("The image"), gettext_noop("The argument")
# (with a value, with the flag's meaning) -> the sentence; whole sentences, so each language
# keeps its own word order.
_MISSING_FLAG = {
    (False, False): gettext_noop("Option {flag} is missing."),
    (True, False): gettext_noop("Option {flag} with the value {value} is missing."),
    (False, True): gettext_noop("Option {flag} is missing: {why}."),
    (True, True): gettext_noop("Option {flag} with the value {value} is missing: {why}."),
}
_UNEXPECTED_FLAG = {
    (False, False): gettext_noop("Option {flag} is not part of the expected command."),
    (True, False): gettext_noop("Option {flag} with the value {value} is not part of the expected command."),
    (False, True): gettext_noop("Option {flag} is not part of the expected command: {why}."),
    (True, True): gettext_noop("Option {flag} with the value {value} is not part of the expected command: {why}."),
}
_SHOULD_BE = gettext_noop("{subject} should be {expected}, but it was {given}.")


def _display(flag: str | None) -> str:
    short = _SHORTS.get(flag or "")
    return f"{short} ({flag})" if short else str(flag)


def _say(text: str, lang: str | None, **params: Any) -> str:
    return gettext(text, lang).format(**params)


def _parse_error_text(code: str, lang: str | None, *, flag: str | None = None, program: str | None = None) -> str:
    return _say(_PARSE_ERRORS.get(code, _UNREADABLE), lang, flag=_display(flag), program=program)


def describe(problem: Problem | Mapping[str, Any], lang: str | None = None) -> str:
    """A sentence the learner can act on, in the learner's language (see common.i18n).

    Also takes the dict form (`dataclasses.asdict(problem)`), as stored with an answer.
    """
    if isinstance(problem, Mapping):
        problem = Problem(**{name: problem.get(name) or default for name, default in _PROBLEM_DEFAULTS.items()})
    code, flag, exp, got = problem.code, _display(problem.flag), problem.expected, problem.given
    meaning = _MEANINGS.get(problem.flag or "")
    if code == "not_docker":
        return _parse_error_text("not_docker", lang, program=got)
    if code == "parse_error":
        return _say(_PARSE_ERRORS.get(problem.detail, _UNREADABLE), lang, flag=flag, program=got)
    if code == "wrong_subcommand":

        def sub(name: str | None) -> str:
            does = _SUBCOMMAND_MEANINGS.get(name or "")
            return f"docker {name}" + (f" ({_say(does, lang)})" if does else "")

        return _say(
            gettext_noop("The subcommand should be {expected}, but it was {given}."),
            lang,
            expected=sub(exp),
            given=sub(got),
        )
    if code == "missing_flag":
        why = _say(meaning[0], lang) if meaning else None
        return _say(_MISSING_FLAG[bool(exp), bool(why)], lang, flag=flag, value=exp, why=why)
    if code == "unexpected_flag":
        why = _say(meaning[1], lang) if meaning else None
        return _say(_UNEXPECTED_FLAG[bool(got), bool(why)], lang, flag=flag, value=got, why=why)
    if code == "wrong_value":
        label = _VALUE_LABELS.get(problem.flag or "")
        subject = _say(label, lang) if label else _say(gettext_noop("The value of option {flag}"), lang, flag=flag)
        return _say(_SHOULD_BE, lang, subject=subject, expected=exp, given=got)
    noun = _say(_ROLE_NOUNS.get(problem.detail, _IMAGE if code == "wrong_image" else _ARGUMENT), lang)
    if not got:
        return _say(gettext_noop("Missing {what}: {expected}."), lang, what=noun[0].lower() + noun[1:], expected=exp)
    if not exp:
        return _say(gettext_noop("{given} is not part of the expected command."), lang, given=got)
    return _say(_SHOULD_BE, lang, subject=noun, expected=exp, given=got)
