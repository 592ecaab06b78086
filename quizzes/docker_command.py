"""Parse and compare Docker CLI commands by meaning, never executing anything.

Quiz answers of kind "command" are typed by learners: `docker run -p 8080:5000 -d app` and
`docker container run --detach --publish=8080:5000 app` mean the same thing and must both
pass, while a missing `-d` must be named in words the learner understands. So the command is
tokenized with shlex (never a shell), flags are mapped to a canonical long name per
subcommand, values are normalized (ports, image tags, paths) and the two commands are
compared as sets of meanings. Pure Python: the Django side calls it.
The module runs past 400 lines because it ends with its bilingual (pt-BR, en) catalogue.
"""

from __future__ import annotations

import posixpath
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CommandComparison", "CommandParseError", "DockerCommand", "Problem",
    "compare_commands", "describe", "parse_docker_command",
]


class CommandParseError(ValueError):
    """The text is not a readable docker command; `code` lets `describe` translate it."""

    def __init__(self, code: str, message: str, *, flag: str | None = None, program: str | None = None):
        super().__init__(message)
        self.code, self.message, self.flag, self.program = code, message, flag, program


@dataclass(frozen=True)
class FlagSpec:
    long: str              # canonical name ("--detach"): what comparisons and messages use
    short: str | None      # "-d"
    takes_value: bool
    repeatable: bool       # repeatable flags are compared as sets of values
    kind: str              # how values are normalized: text, port, image, path


def _spec(*notations: str) -> dict[str, FlagSpec]:
    """Compact notation "p|publish=port*": short|long, "=" takes a value (kind), "*" repeatable."""
    table: dict[str, FlagSpec] = {}
    for notation in notations:
        names, eq, kind = notation.partition("=")
        repeatable = kind.endswith("*")
        short, _, long = names.rpartition("|")
        spec = FlagSpec("--" + long, "-" + short if short else None, bool(eq), repeatable,
                        kind.rstrip("*") or "text")
        table[spec.long] = spec
        if spec.short:
            table[spec.short] = spec
    return table


# The flags the lesson uses, plus common neighbours, so that a learner's extra flag is
# recognized (and its value consumed) rather than misread as the image name.
_SPECS: dict[str, dict[str, FlagSpec]] = {
    "run": _spec("d|detach", "p|publish=port*", "name=", "v|volume=*", "e|env=*", "env-file=*", "rm",
                 "i|interactive", "t|tty", "network=", "restart=", "w|workdir=", "u|user=",
                 "entrypoint=", "P|publish-all", "m|memory=", "cpus=", "h|hostname=", "platform=",
                 "pull=", "read-only", "mount=*", "l|label=*"),
    "exec": _spec("d|detach", "i|interactive", "t|tty", "e|env=*", "u|user=", "w|workdir=", "privileged"),
    "build": _spec("t|tag=image*", "f|file=path", "build-arg=*", "no-cache", "pull", "target=",
                   "q|quiet", "platform=", "progress=", "label=*"),
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
    ("container", "run"): "run", ("container", "exec"): "exec", ("container", "logs"): "logs",
    ("container", "ls"): "ps", ("container", "list"): "ps", ("container", "ps"): "ps",
    ("container", "stop"): "stop", ("container", "start"): "start", ("container", "rm"): "rm",
    ("container", "remove"): "rm", ("image", "build"): "build", ("builder", "build"): "build",
    ("buildx", "build"): "build", ("image", "ls"): "images", ("image", "list"): "images",
    ("image", "rm"): "rmi", ("image", "remove"): "rmi", ("image", "pull"): "pull", ("image", "push"): "push",
}
_MANAGEMENT = {"container", "image", "builder", "buildx"}
# What the positional arguments mean; run and exec stop reading flags at the first one
# because what follows is the container's own command (docker run app ls -l).
_ROLES = {"run": "image+command", "exec": "container+command", "build": "context",
          "rmi": "images", "pull": "images", "push": "images"}
_GLOBAL_WITH_VALUE = {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level"}
_FALSE = {"false", "0", "no"}
_CHAINING = {"&&", "||", ";", "|", "&"}


@dataclass
class DockerCommand:
    subcommand: str                                            # canonical: "run", "build", "ps"...
    switches: list[str] = field(default_factory=list)          # flags without value, canonical long names
    options: dict[str, list[str]] = field(default_factory=dict)  # valued flags -> raw values in order
    arguments: list[str] = field(default_factory=list)         # positionals (run: [image])
    command: list[str] = field(default_factory=list)           # run/exec: the container's command
    unknown_flags: list[str] = field(default_factory=list)     # kept and reported, never fatal
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
        raise CommandParseError("quoting", "Não foi possível ler o comando: há aspas sem fechamento.") from exc
    if words and words[0] == "sudo":
        words = words[1:]
        while words and words[0].startswith("-"):  # sudo -E docker ...
            words = words[1:]
    if not words:
        raise CommandParseError("empty", "O comando está vazio.")
    if posixpath.basename(words[0]) != "docker":
        raise CommandParseError("not_docker", f"O comando deve começar com docker, mas começa com {words[0]}.", program=words[0])
    if any(word in _CHAINING for word in words):
        raise CommandParseError("chained", "Escreva um único comando docker, sem encadear com &&, ; ou |.")
    cmd = DockerCommand(subcommand="", raw=text)
    rest = words[1:]
    while rest and rest[0].startswith("-"):  # global options (docker -H host run ...): kept, not judged
        flag = rest.pop(0)
        cmd.unknown_flags.append(flag)
        if flag in _GLOBAL_WITH_VALUE and rest:
            rest.pop(0)
    if not rest:
        raise CommandParseError("no_subcommand", "Falta o subcomando depois de docker (por exemplo, docker run).")
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
    return CommandParseError("missing_value", f"A opção {_display(flag)} precisa de um valor.", flag=flag)


# -- normalization -----------------------------------------------------------------------

def normalize_port(value: str) -> str:
    """"0.0.0.0:8080:5000/tcp" -> "8080:5000": all interfaces and TCP are docker's defaults."""
    spec, _, proto = value.partition("/")
    if spec.startswith("["):  # [::1]:8080:5000
        ip, _, ports = spec[1:].partition("]")
        ip, ports = f"[{ip}]", ports.lstrip(":")
    else:
        parts = spec.split(":")
        ip, ports = (parts[0], ":".join(parts[1:])) if len(parts) == 3 else ("", spec)
    text = ports if ip in ("", "0.0.0.0") else f"{ip}:{ports}"
    return text if proto.lower() in ("", "tcp") else f"{text}/{proto.lower()}"


def normalize_image(ref: str) -> str:
    """"docker.io/library/python" -> "python:latest": the same image to the daemon."""
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    if "@" not in ref and ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref


def _normalize(kind: str, value: str) -> str:
    if kind == "port":
        return normalize_port(value)
    if kind == "image":
        return normalize_image(value)
    if kind == "path" and "://" not in value and value != "-":
        return posixpath.normpath(value)
    return value


# -- comparison --------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    code: str                   # not_docker, wrong_subcommand, missing_flag, unexpected_flag,
                                # wrong_value, wrong_image, wrong_argument, parse_error
    flag: str | None = None     # canonical long name ("--detach") or an unknown flag as typed
    expected: str | None = None
    given: str | None = None
    detail: str = ""            # parse_error: the CommandParseError code; wrong_argument: the role


_PROBLEM_DEFAULTS = {"code": "", "flag": None, "expected": None, "given": None, "detail": ""}


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
    problems = [Problem("wrong_value", flag, e, g) for e, g in zip(missing, extra)]
    problems += [Problem("missing_flag", flag, expected=e) for e in missing[len(extra):]]
    problems += [Problem("unexpected_flag", flag, given=g) for g in extra[len(missing):]]
    return problems


def _compare_positionals(exp: DockerCommand, got: DockerCommand) -> list[Problem]:
    role = _ROLES.get(exp.subcommand, "names")
    if role.endswith("+command"):
        problems = []
        head = role.split("+")[0]
        e_head, g_head = (exp.arguments or [""])[0], (got.arguments or [""])[0]
        if head == "image" and normalize_image(e_head or "-") != normalize_image(g_head or "-"):
            problems.append(Problem("wrong_image", expected=e_head, given=g_head))
        elif head != "image" and e_head != g_head:
            problems.append(Problem("wrong_argument", expected=e_head, given=g_head, detail=head))
        if exp.command != got.command:
            problems.append(Problem("wrong_argument", expected=shlex.join(exp.command),
                                    given=shlex.join(got.command), detail="command"))
        return problems
    kind = {"images": "image", "context": "path"}.get(role, "text")
    code = "wrong_image" if role == "images" else "wrong_argument"
    missing = _unmatched(kind, exp.arguments, got.arguments)
    extra = _unmatched(kind, got.arguments, exp.arguments)
    pairs = [(e, g) for e, g in zip(missing, extra)]
    pairs += [(e, "") for e in missing[len(extra):]] + [("", g) for g in extra[len(missing):]]
    return [Problem(code, expected=e, given=g, detail=role) for e, g in pairs]


# -- learner-readable messages -----------------------------------------------------------

_SHORTS = {s.long: s.short for table in _SPECS.values() for s in table.values() if s.short}

# flag -> (pt "should", pt "does", en "should", en "does"): why the flag matters, in words.
_MEANINGS = {
    "--detach": ("o contêiner deve rodar em segundo plano", "ela executa o contêiner em segundo plano",
                 "the container must run in the background", "it runs the container in the background"),
    "--publish": ("a porta do contêiner deve ser publicada no host", "ela publica uma porta do contêiner no host",
                  "the container port must be published on the host", "it publishes a container port on the host"),
    "--name": ("o contêiner deve receber um nome", "ela dá um nome ao contêiner",
               "the container must get a name", "it names the container"),
    "--volume": ("um volume ou diretório deve ser montado no contêiner", "ela monta um volume ou diretório no contêiner",
                 "a volume or directory must be mounted in the container", "it mounts a volume or directory in the container"),
    "--env": ("uma variável de ambiente deve ser definida no contêiner", "ela define uma variável de ambiente no contêiner",
              "an environment variable must be set in the container", "it sets an environment variable in the container"),
    "--rm": ("o contêiner deve ser removido quando terminar", "ela remove o contêiner quando ele termina",
             "the container must be removed when it exits", "it removes the container when it exits"),
    "--interactive": ("a entrada padrão deve ficar aberta (modo interativo)", "ela mantém a entrada padrão aberta (modo interativo)",
                      "standard input must stay open (interactive mode)", "it keeps standard input open (interactive mode)"),
    "--tty": ("um terminal deve ser alocado", "ela aloca um terminal (TTY)",
              "a terminal must be allocated", "it allocates a terminal (TTY)"),
    "--network": ("o contêiner deve ser ligado a uma rede", "ela liga o contêiner a uma rede",
                  "the container must join a network", "it connects the container to a network"),
    "--restart": ("o contêiner deve ter uma política de reinício", "ela define a política de reinício",
                  "the container must have a restart policy", "it sets the restart policy"),
    "--tag": ("a imagem deve receber nome e tag", "ela dá nome e tag à imagem",
              "the image must get a name and tag", "it names and tags the image"),
    "--file": ("é preciso indicar qual Dockerfile usar", "ela indica qual Dockerfile usar",
               "the Dockerfile to use must be given", "it chooses which Dockerfile to use"),
    "--no-cache": ("o build não deve usar o cache", "ela faz o build sem usar o cache",
                   "the build must not use the cache", "it builds without the cache"),
    "--follow": ("os logs devem ser acompanhados em tempo real", "ela acompanha os logs em tempo real",
                 "the logs must be followed live", "it follows the logs live"),
    "--tail": ("só as últimas linhas devem ser mostradas", "ela mostra só as últimas linhas",
               "only the last lines must be shown", "it shows only the last lines"),
    "--all": ("todos devem ser listados, inclusive os parados", "ela lista todos, inclusive os parados",
              "all must be listed, stopped ones included", "it lists all, stopped ones included"),
    "--quiet": ("só os IDs devem ser mostrados", "ela mostra só os IDs", "only IDs must be shown", "it shows only IDs"),
    "--force": ("a remoção deve ser forçada", "ela força a remoção", "removal must be forced", "it forces removal"),
    "--time": ("o tempo de espera antes de forçar a parada deve ser definido", "ela define quantos segundos esperar",
               "the wait before forcing the stop must be set", "it sets how many seconds to wait"),
}
_VALUE_LABELS = {
    "--publish": ("A porta publicada", "The published port"), "--name": ("O nome do contêiner", "The container name"),
    "--tag": ("A tag da imagem", "The image tag"), "--file": ("O Dockerfile", "The Dockerfile"),
    "--volume": ("O volume montado", "The mounted volume"), "--env": ("A variável de ambiente", "The environment variable"),
    "--network": ("A rede", "The network"), "--restart": ("A política de reinício", "The restart policy"),
    "--tail": ("O número de linhas", "The number of lines"), "--time": ("O tempo de espera", "The wait time"),
}
_SUBCOMMAND_MEANINGS = {
    "run": ("cria e inicia um contêiner a partir de uma imagem", "creates and starts a container from an image"),
    "start": ("inicia um contêiner que já existe", "starts an existing container"),
    "exec": ("executa um comando num contêiner em execução", "runs a command in a running container"),
    "build": ("constrói uma imagem a partir de um Dockerfile", "builds an image from a Dockerfile"),
    "ps": ("lista contêineres", "lists containers"), "images": ("lista imagens", "lists images"),
    "stop": ("para um contêiner", "stops a container"), "rm": ("remove contêineres", "removes containers"),
    "rmi": ("remove imagens", "removes images"), "logs": ("mostra os logs de um contêiner", "shows a container's logs"),
    "pull": ("baixa uma imagem", "downloads an image"), "push": ("envia uma imagem a um registro", "uploads an image"),
}
_PARSE_ERRORS = {
    "quoting": ("O comando tem aspas sem fechamento.", "The command has an unclosed quote."),
    "empty": ("O comando está vazio.", "The command is empty."),
    "no_subcommand": ("Falta o subcomando depois de docker (por exemplo, docker run).",
                      "The subcommand after docker is missing (for example, docker run)."),
    "missing_value": ("A opção {flag} precisa de um valor.", "Option {flag} needs a value."),
    "chained": ("Escreva um único comando docker, sem encadear com &&, ; ou |.",
                "Write a single docker command, without chaining with &&, ; or |."),
}
_ROLE_NOUNS = {"command": ("O comando executado no contêiner", "The command run in the container"),
               "container": ("O contêiner", "The container"), "context": ("O contexto de build", "The build context")}


def _display(flag: str | None) -> str:
    short = _SHORTS.get(flag or "")
    return f"{short} ({flag})" if short else str(flag)


def describe(problem: Problem | Mapping[str, Any], lang: str = "pt-BR") -> str:
    """A sentence the learner can act on, in pt-BR (default) or English ("en", "en-US"...).

    Also takes the dict form (`dataclasses.asdict(problem)`), as stored with an answer.
    """
    if isinstance(problem, Mapping):
        problem = Problem(**{name: problem.get(name) or default for name, default in _PROBLEM_DEFAULTS.items()})
    en = (lang or "").replace("_", "-").lower().split("-")[0] == "en"
    pick = (lambda pair: pair[1 if en else 0])  # noqa: E731 - (pt, en) pairs below
    code, flag, exp, got = problem.code, _display(problem.flag), problem.expected, problem.given
    meaning = _MEANINGS.get(problem.flag or "")
    if code == "not_docker":
        return pick((f"O comando deveria começar com docker, mas começou com {got}.",
                     f"The command should start with docker, but it starts with {got}."))
    if code == "parse_error":
        text = pick(_PARSE_ERRORS.get(problem.detail, ("Não foi possível ler o comando.", "The command could not be read.")))
        return text.format(flag=flag)
    if code == "wrong_subcommand":
        def sub(name: str) -> str:
            return f"docker {name}" + (f" ({pick(_SUBCOMMAND_MEANINGS[name])})" if name in _SUBCOMMAND_MEANINGS else "")
        return pick((f"O subcomando deveria ser {sub(exp)}, mas foi {sub(got)}.",
                     f"The subcommand should be {sub(exp)}, but it was {sub(got)}."))
    if code == "missing_flag":
        value = pick((f" com o valor {exp}", f" with the value {exp}")) if exp else ""
        why = f": {meaning[2 if en else 0]}" if meaning else ""
        return pick((f"Falta a opção {flag}{value}{why}.", f"Option {flag}{value} is missing{why}."))
    if code == "unexpected_flag":
        value = pick((f" com o valor {got}", f" with the value {got}")) if got else ""
        why = f": {meaning[3 if en else 1]}" if meaning else ""
        return pick((f"A opção {flag}{value} não faz parte do comando esperado{why}.",
                     f"Option {flag}{value} is not part of the expected command{why}."))
    if code == "wrong_value":
        label = _VALUE_LABELS.get(problem.flag or "")
        subject = pick(label) if label else pick((f"O valor da opção {flag}", f"The value of option {flag}"))
        return pick((f"{subject} deveria ser {exp}, mas foi {got}.", f"{subject} should be {exp}, but it was {got}."))
    noun = pick(_ROLE_NOUNS.get(problem.detail, ("A imagem", "The image") if code == "wrong_image" else ("O argumento", "The argument")))
    if not got:
        return pick((f"Falta {noun[0].lower() + noun[1:]}: {exp}.", f"Missing {noun[0].lower() + noun[1:]}: {exp}."))
    if not exp:
        return pick((f"{got} não faz parte do comando esperado.", f"{got} is not part of the expected command."))
    return pick((f"{noun} deveria ser {exp}, mas foi {got}.", f"{noun} should be {exp}, but it was {got}."))
