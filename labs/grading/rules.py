"""The lesson's Dockerfile best practices as rules over a parsed Dockerfile.

Each rule is `(parsed, files, params) -> Finding`; `files` is the submitted context
(path -> bytes), `params` come from the lab spec. Failures cite what was found and the line,
so the learner knows where to act. Section titles are the lesson's, for the report's links.
Their messages are in rule_messages.py.
"""

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from common.image_ref import parse_image_ref

from .dockerfile import Instruction, ParsedDockerfile, Stage, expand_variables, split_key_values
from .types import Finding

_PRACTICES = "Boas Práticas na Criação de Dockerfiles para ML"
LESSON_SECTIONS = {
    "slim-base": f"{_PRACTICES} › Redução de Tamanho",
    "workdir": "Criando um Dockerfile para uma Aplicação de ML (Parte 1) › Configurar o Diretório de Trabalho",
    "deps-before-code": f"{_PRACTICES} › Otimização de Camadas",
    "pip-no-cache-dir": f"{_PRACTICES} › Redução de Tamanho",
    "grouped-run": f"{_PRACTICES} › Otimização de Camadas",
    "json-cmd": "Desvendando o Dockerfile: A Receita do Contêiner › CMD",
    "cmd-gunicorn": "Criando um Dockerfile para uma Aplicação de ML (Parte 2)",
    "expose": "Desvendando o Dockerfile: A Receita do Contêiner › EXPOSE",
    "non-root-user": f"{_PRACTICES} › Segurança",
    "multi-stage": f"{_PRACTICES} › Manutenibilidade",
    "no-secrets-in-env": f"{_PRACTICES} › Segurança",
    "comments": f"{_PRACTICES} › Manutenibilidade",
    "healthcheck": f"{_PRACTICES} › Segurança",
    "no-latest-tag": f"{_PRACTICES} › Segurança",
    "no-sudo": f"{_PRACTICES} › Segurança",
    "apt-cleanup": f"{_PRACTICES} › Redução de Tamanho",
}

_COMMAND_SEPARATOR = re.compile(r"&&|\|\||[;|\n]")
_PIP_INSTALL = re.compile(r"\bpip[0-9.]*\s+install\b")
_APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
_ANY_INSTALL = re.compile(rf"{_PIP_INSTALL.pattern}|{_APT_INSTALL.pattern}|\bapk\s+add\b|\bconda\s+install\b")
_APT_LISTS_REMOVED = re.compile(r"\brm\s[^;&|]*/var/lib/apt/lists")
# Matched word by word so that TOKENIZERS_PARALLELISM or MAX_TOKENS, common in ML images, pass.
_SECRET_WORDS = {"PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS", "CREDENTIAL"}
_SECRET_PAIRS = {("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY")}
_NOT_THE_SECRET_ITSELF = {"FILE", "PATH", "DIR"}  # PASSWORD_FILE=/run/secrets/db names a place
_ONLY_A_VARIABLE = re.compile(r"^\$(\{\w+\}|\w+)$")
_ROOT_USERS = {"root", "0"}
_ALL_INTERFACES = {"0.0.0.0", "", "[::]", "::"}


def _ok(rule_id: str, line: int | None = None, **params: Any) -> Finding:
    return Finding(True, f"rule.{rule_id}.passed", _with_line(params, line), line)


def _fail(message_id: str, line: int | None = None, **params: Any) -> Finding:
    return Finding(False, f"rule.{message_id}", _with_line(params, line), line)


def _with_line(params: dict[str, Any], line: int | None) -> dict[str, Any]:
    # Messages say "Linha {line}: ..."; the line is a parameter like any other.
    return params | {"line": line} if line is not None else params


def _lineage_instructions(parsed: ParsedDockerfile, stage: Stage) -> list[Instruction]:
    """What the final image inherits: the stage's own instructions and those of the stages it builds on."""
    return [i for s in parsed.lineage(stage) for i in s.instructions]


def _command_text(instruction: Instruction) -> str:
    return " ".join(instruction.args) if instruction.is_json else instruction.rest


def _commands(instruction: Instruction) -> list[str]:
    """A RUN's shell commands, split at &&, ||, ;, | and newlines."""
    return [c.strip() for c in _COMMAND_SEPARATOR.split(_command_text(instruction)) if c.strip()]


def _runs(instructions: Iterable[Instruction]) -> list[Instruction]:
    return [i for i in instructions if i.name == "RUN"]


def _environment(instructions: Iterable[Instruction]) -> dict[str, str | None]:
    env: dict[str, str | None] = {}
    for instruction in instructions:
        if instruction.name in ("ENV", "ARG"):
            for name, value in split_key_values(instruction.rest):
                if value is not None or name not in env:
                    env[name] = value
    return env


def _words(instruction: Instruction, env: Mapping[str, str | None]) -> list[str]:
    if instruction.is_json:
        words = list(instruction.args)
    else:
        try:
            words = shlex.split(instruction.rest)
        except ValueError:
            words = instruction.rest.split()
    return [expand_variables(w, env)[0] for w in words]


def _last(instructions: Sequence[Instruction], name: str) -> Instruction | None:
    return next((i for i in reversed(instructions) if i.name == name), None)


def _no_stage() -> Finding:
    return Finding(False, "rule.no-from", {}, None)


def slim_base(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    base = parsed.base_of(final)
    ref = parse_image_ref(base.image)
    variants = params.get("variants", ["slim", "alpine"])
    # "Tag fixa": a version, not a moving name such as latest, slim or alpine.
    pinned = ref is not None and (bool(ref.digest) or any(ch.isdigit() for ch in ref.tag or ""))
    light = ref is not None and (any(v in (ref.tag or "") for v in variants) or ref.name in variants)
    if pinned and light:
        return _ok("slim-base", base.line, image=base.image)
    return _fail("slim-base.failed", base.line, image=base.image)


def workdir(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    workdir_line = None
    for instruction in _lineage_instructions(parsed, final):
        if instruction.name == "WORKDIR" and instruction.rest.strip() not in ("", "/"):
            workdir_line = workdir_line or instruction.line
        elif instruction.name in ("COPY", "ADD") and instruction.stage == final.index and workdir_line is None:
            return _fail("workdir.after-copy", instruction.line, instruction=instruction.name)
    if workdir_line is None:
        return _fail("workdir.missing", final.line)
    return _ok("workdir", workdir_line)


def _is_dependency_file(source: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(posixpath.basename(source), p) for p in patterns)


def _is_broad(source: str, files: dict[str, bytes]) -> bool:
    """`.`, a glob or a whole directory: a copy whose layer changes whenever any code changes."""
    normal = posixpath.normpath(source.lstrip("/"))
    if normal == "." or any(ch in source for ch in "*?["):
        return True
    return any(path.startswith(normal + "/") for path in files)


def deps_before_code(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    patterns = params.get("dependency_files", ["requirements*.txt", "constraints*.txt"])
    installing = [s for s in parsed.stages if any(_PIP_INSTALL.search(_command_text(r)) for r in _runs(s.instructions))]
    if not installing:
        return _fail("deps-before-code.no-install", parsed.final_stage.line if parsed.final_stage else None)
    for stage in installing:
        install = next(r for r in _runs(stage.instructions) if _PIP_INSTALL.search(_command_text(r)))
        install_line = install.line
        copied_deps = False
        for instruction in stage.instructions:
            if instruction.line >= install.line:
                break
            if instruction.name not in ("COPY", "ADD") or "from" in instruction.flags:
                continue
            sources = instruction.args[:-1]
            if any(_is_broad(s, files) for s in sources):
                return _fail(
                    "deps-before-code.code-first",
                    instruction.line,
                    copy=f"{instruction.name} {instruction.rest}",
                    install=install.line,
                )
            copied_deps = copied_deps or any(_is_dependency_file(s, patterns) for s in sources)
        uses_requirements = re.search(r"(^|\s)(-r|--requirement)(\s|=)", _command_text(install))
        if uses_requirements and not copied_deps:
            return _fail("deps-before-code.no-requirements-copy", install.line)
    return _ok("deps-before-code", install_line)


def pip_no_cache_dir(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    found_pip = False
    for stage in parsed.stages:
        lineage = _lineage_instructions(parsed, stage)
        for run in _runs(stage.instructions):
            earlier_env = _environment(i for i in lineage if i.line < run.line)
            env_off = bool(earlier_env.get("PIP_NO_CACHE_DIR"))
            for command in _commands(run):
                if _PIP_INSTALL.search(command):
                    found_pip = True
                    if "--no-cache-dir" not in command and not env_off:
                        return _fail("pip-no-cache-dir.failed", run.line, command=command)
    return _ok("pip-no-cache-dir") if found_pip else Finding(True, "rule.pip-no-cache-dir.no-pip", {}, None)


def grouped_run(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    max_run = params.get("max_run")
    for stage in parsed.stages:
        runs = _runs(stage.instructions)
        if max_run is not None:
            if len(runs) > int(max_run):
                return _fail("grouped-run.too-many", runs[int(max_run)].line, count=len(runs), max=int(max_run))
            continue
        for previous, current in pairwise(stage.instructions):
            if previous.name == current.name == "RUN":
                return _fail("grouped-run.consecutive", current.line, previous=previous.line)
    return _ok("grouped-run")


def json_cmd(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    effective = [i for name in ("ENTRYPOINT", "CMD") if (i := _last(_lineage_instructions(parsed, final), name))]
    if not effective:
        return _fail("json-cmd.missing", final.line)
    for instruction in effective:
        if not instruction.is_json:
            looks_json = instruction.rest.startswith("[")
            return _fail(
                "json-cmd.bad-json" if looks_json else "json-cmd.shell-form",
                instruction.line,
                instruction=instruction.name,
                found=instruction.rest,
            )
    return _ok("json-cmd", effective[-1].line)


def _bind_address(argv: list[str]) -> str | None:
    for index, word in enumerate(argv):
        following = argv[index + 1] if index + 1 < len(argv) else ""
        if word in ("--bind", "-b"):
            return following
        if word.startswith("--bind="):
            return word.partition("=")[2]
        if word.startswith("-b") and len(word) > 2 and not word.startswith("--"):
            return word[2:]
    host = next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w == "--host"), None)
    port = next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w == "--port"), None)
    return f"{host}:{port}" if host is not None or port is not None else None


def cmd_gunicorn(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    server, port = params.get("server", "gunicorn"), str(params.get("port", 5000))
    lineage = _lineage_instructions(parsed, final)
    env = _environment(lineage)
    parts = [i for name in ("ENTRYPOINT", "CMD") if (i := _last(lineage, name))]
    argv = [w for i in parts for w in _words(i, env)]
    line = parts[-1].line if parts else final.line
    found = " ".join(argv) or "-"
    if not any(posixpath.basename(w) == server for w in argv):
        return _fail("cmd-gunicorn.no-server", line, server=server, found=found)
    bind = _bind_address(argv)
    if bind is None and server == "gunicorn" and env.get("PORT"):
        bind = f"0.0.0.0:{env['PORT']}"  # gunicorn binds 0.0.0.0:$PORT when PORT is set
    host, _, bound_port = (bind or "").rpartition(":")
    if bind is None or host not in _ALL_INTERFACES or bound_port != port:
        return _fail("cmd-gunicorn.bad-bind", line, server=server, port=port, found=bind or "127.0.0.1:8000")
    return _ok("cmd-gunicorn", line, server=server, port=port)


def _exposed_ports(word: str) -> range:
    number = word.split("/")[0]
    low, _, high = number.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return range(0)
    return range(int(low), int(high or low) + 1)


def expose(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    port = int(params.get("port", 5000))
    lineage = _lineage_instructions(parsed, final)
    env, found = _environment(lineage), []
    for instruction in (i for i in lineage if i.name == "EXPOSE"):
        for word in _words(instruction, env):
            found.append(word)
            if port in _exposed_ports(word) and not word.endswith("/udp"):
                return _ok("expose", instruction.line, port=port)
    return _fail("expose.failed", final.line, port=port, found=", ".join(found) or "-")


def non_root_user(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    lineage = _lineage_instructions(parsed, final)
    user = _last(lineage, "USER")
    if user is None:
        return _fail("non-root-user.missing", final.line)
    written = user.rest.strip().split(":")[0]
    name = expand_variables(written, _environment(i for i in lineage if i.line < user.line))[0]
    if name in _ROOT_USERS:
        return _fail("non-root-user.root", user.line, user=name)
    # `RUN useradd $APP_USER` is not expanded here, so the name may appear as written in USER.
    spellings = "|".join(re.escape(n) for n in {name, written} if n)
    created = (
        name.isdigit()
        or name in params.get("known_users", ["nobody"])
        or bool(spellings)
        and any(
            re.search(rf"\b(useradd|adduser)\b.*(\s|^)({spellings})(\s|$)", command)
            for run in _runs(parsed.instructions)
            for command in _commands(run)
        )
    )
    if not created:
        return _fail("non-root-user.not-created", user.line, user=name)
    later_install = next(
        (r for r in _runs(lineage) if r.line > user.line and _ANY_INSTALL.search(_command_text(r))), None
    )
    if later_install:
        return _fail("non-root-user.before-installs", user.line, user=name, install=later_install.line)
    return _ok("non-root-user", user.line, user=name)


def multi_stage(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    if len(parsed.stages) < 2:
        return _fail("multi-stage.single", final.line)
    earlier = {s.alias for s in parsed.stages[:-1] if s.alias} | {str(s.index) for s in parsed.stages[:-1]}
    copy = next(
        (i for i in final.instructions if i.name == "COPY" and i.flags.get("from", "").lower() in earlier), None
    )
    if copy is None:
        return _fail("multi-stage.no-copy-from", final.line)
    return _ok("multi-stage", copy.line, stage=copy.flags["from"])


def _looks_secret(name: str) -> bool:
    words = re.split(r"[_\W]+", name.upper())
    if not words or words[-1] in _NOT_THE_SECRET_ITSELF:
        return False
    return bool(_SECRET_WORDS & set(words)) or any(pair in _SECRET_PAIRS for pair in pairwise(words))


def no_secrets_in_env(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    for instruction in parsed.instructions:
        if instruction.name not in ("ENV", "ARG"):
            continue
        for name, value in split_key_values(instruction.rest):
            if _looks_secret(name) and value and not _ONLY_A_VARIABLE.match(value):
                return _fail("no-secrets-in-env.failed", instruction.line, instruction=instruction.name, name=name)
    return _ok("no-secrets-in-env")


def comments(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    minimum = int(params.get("min", 1))
    if parsed.comments < minimum:
        return _fail("comments.failed", None, found=parsed.comments, min=minimum)
    return _ok("comments", None, found=parsed.comments)


def healthcheck(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    final = parsed.final_stage
    if final is None:
        return _no_stage()
    check = _last(_lineage_instructions(parsed, final), "HEALTHCHECK")
    if check is None:
        return _fail("healthcheck.missing", final.line)
    if check.rest.strip().upper() == "NONE":
        return _fail("healthcheck.disabled", check.line)
    return _ok("healthcheck", check.line)


def no_latest_tag(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    aliases = {s.alias for s in parsed.stages if s.alias}
    images = [(s.image, s.line) for s in parsed.stages if s.parent is None and s.image != "scratch"]
    images += [
        (i.flags["from"], i.line)
        for i in parsed.instructions
        if i.name == "COPY"
        and "from" in i.flags
        and i.flags["from"].lower() not in aliases
        and not i.flags["from"].isdigit()
    ]
    for image, line in images:
        ref = parse_image_ref(image)
        if ref is None or (ref.tag in (None, "latest") and not ref.digest):
            return _fail("no-latest-tag.failed", line, image=image)
    return _ok("no-latest-tag")


def no_sudo(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    for run in _runs(parsed.instructions):
        if any(command.split()[0] == "sudo" for command in _commands(run)):
            return _fail("no-sudo.failed", run.line)
    return _ok("no-sudo")


def apt_cleanup(parsed: ParsedDockerfile, files: dict[str, bytes], params: dict[str, Any]) -> Finding:
    for run in _runs(parsed.instructions):
        installs = [c for c in _commands(run) if _APT_INSTALL.search(c)]
        if installs and not _APT_LISTS_REMOVED.search(_command_text(run)):
            return _fail("apt-cleanup.no-cleanup", run.line)
        if any("--no-install-recommends" not in c for c in installs):
            return _fail("apt-cleanup.recommends", run.line)
    return _ok("apt-cleanup")


RULES = {
    "slim-base": slim_base,
    "workdir": workdir,
    "deps-before-code": deps_before_code,
    "pip-no-cache-dir": pip_no_cache_dir,
    "grouped-run": grouped_run,
    "json-cmd": json_cmd,
    "cmd-gunicorn": cmd_gunicorn,
    "expose": expose,
    "non-root-user": non_root_user,
    "multi-stage": multi_stage,
    "no-secrets-in-env": no_secrets_in_env,
    "comments": comments,
    "healthcheck": healthcheck,
    "no-latest-tag": no_latest_tag,
    "no-sudo": no_sudo,
    "apt-cleanup": apt_cleanup,
}
