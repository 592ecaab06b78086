"""Reading a learner's Dockerfile: `parse()` for the rules, `gate()` before any build.

The gate exists because the sandbox daemon would pull any unknown base image over the host
network, and because it builds with the legacy builder of Docker 20.10 (DOCKER_BUILDKIT=0):
a learner who used a BuildKit feature must learn that from a plain sentence, not from a
cryptic build error. About a fifth of the module is its bilingual (pt-BR, en) catalogue.
"""

import io
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field

from dockerfile_parse import DockerfileParser

from .i18n import register
from .types import Finding

_DIRECTIVE = re.compile(r"^\s*#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
# $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}; a backslash-escaped \$ is literal.
_VARIABLE = re.compile(r"(?<!\\)\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))")
# `<<EOF`, `<<-EOF`, `<<"EOF"`; not `<<<` (a here-string) nor `1<<3` (a shift).
_HEREDOC = re.compile(r"(?<![<\w])<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")
_FLAG = re.compile(r"--(\S*)\s*")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_URL_SOURCE = re.compile(r"^(https?://|ftp://|git://|git@|ssh://)", re.I)

# Flags only BuildKit understands; the legacy builder fails on them with terse errors.
_BUILDKIT_FLAGS = {
    "RUN": {"mount", "network", "security"},
    "COPY": {"link", "chmod", "parents", "exclude"},
    "ADD": {"link", "chmod", "checksum", "keep-git-dir"},
}

_REF_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::\d+)?)"
_REF_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REF = re.compile(
    rf"^(?:(?P<domain>{_REF_DOMAIN})/)?(?P<path>{_REF_COMPONENT}(?:/{_REF_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$"
)
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io" for Docker Hub
    repository: str  # "library/python"
    tag: str | None
    digest: str | None

    @property
    def canonical(self) -> str:
        """The form two spellings of one image share: docker.io/library/python:3.11-slim."""
        return f"{self.registry}/{self.repository}:{self.tag or 'latest'}"

    @property
    def short(self) -> str:
        """How a learner would write it: python:3.11-slim."""
        repo = self.repository.removeprefix("library/") if self.registry == "docker.io" else f"{self.registry}/{self.repository}"
        return f"{repo}:{self.tag}" if self.tag else repo

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]


def parse_image_ref(text: str) -> ImageRef | None:
    """Docker's normalisation of an image reference, or None when it is not one."""
    match = _IMAGE_REF.match(text.strip())
    if not match:
        return None
    domain, path = match["domain"], match["path"]
    # Like Docker: a first component is a registry only if it looks like a host name.
    if domain and not ("." in domain or ":" in domain or domain == "localhost"):
        path, domain = f"{domain}/{path}", None
    registry = "docker.io" if domain is None or domain in _DOCKER_HUB else domain
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return ImageRef(registry, path, match["tag"], match["digest"])


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line where the instruction starts
    end_line: int
    name: str  # upper-case: FROM, RUN, ...
    value: str  # as written after the keyword, continuation lines joined
    flags: dict = field(default_factory=dict)  # leading --name=value options
    rest: str = ""  # the value without its flags
    is_json: bool = False  # exec form: ["gunicorn", "app:app"]
    args: tuple = ()  # the exec-form list, or the whitespace-separated words
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM


@dataclass(frozen=True)
class Stage:
    index: int
    line: int
    raw_image: str  # as written: python:${PY}
    image: str  # with the ARGs of the global scope substituted
    alias: str | None  # lower-case, as Docker compares stage names
    unresolved: tuple = ()  # variables in FROM with no value
    parent: int | None = None  # index of the earlier stage it builds on (FROM builder)
    instructions: tuple = ()  # the stage's instructions after its FROM


@dataclass(frozen=True)
class ParsedDockerfile:
    instructions: tuple
    stages: tuple
    comments: int  # comment lines, parser directives excluded
    directives: dict  # name -> (value, line), e.g. {"syntax": ("docker/dockerfile:1", 1)}
    meta_args: dict  # ARGs before the first FROM: name -> default (None without one)
    line_count: int

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


def expand_variables(word: str, variables: dict) -> tuple[str, list[str]]:
    """Substitute ARG values as Docker does; returns the text and the names left without a value."""
    unresolved = []

    def substitute(match: re.Match) -> str:
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


def _split_flags(value: str) -> tuple[dict, str]:
    flags = {}
    rest = value.lstrip()
    while match := _FLAG.match(rest):
        name, has_value, flag_value = match[1].partition("=")
        flags[name.lower()] = flag_value if has_value else "true"
        rest = rest[match.end():]
    return flags, rest


def _exec_form(rest: str) -> tuple | None:
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(rest)
    except ValueError:
        return None
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return tuple(data)
    return None


def split_key_values(text: str) -> list[tuple[str, str | None]]:
    """ARG/ENV pairs: `A=1 B="two words"`, or the legacy `ENV KEY value with spaces`."""
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:  # unbalanced quotes: keep going with a rough split
        words = text.split()
    if words and "=" not in words[0]:
        if len(words) > 1:  # ENV KEY value
            return [(words[0], " ".join(words[1:]))]
        return [(words[0], None)]  # ARG NAME
    return [(k, v) for k, _, v in (w.partition("=") for w in words)]


def _leading_directives(lines: list[str]) -> dict:
    directives = {}
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.match(line)
        if not match or match[1].lower() not in _KNOWN_DIRECTIVES:
            break  # Docker stops looking for directives at the first other line
        directives[match[1].lower()] = (match[2], number)
    return directives


def parse(text: str) -> ParsedDockerfile:
    text = text.removeprefix("\ufeff")
    # Split on "\n" only, as dockerfile-parse and Docker do (str.splitlines knows more breaks).
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8", "replace")))
    directives = _leading_directives(lines)
    directive_lines = {line for _, line in directives.values()}

    instructions, stages, meta_args, comments = [], [], {}, 0
    for item in parser.structure:
        line = item["startline"] + 1
        if item["instruction"] == "COMMENT":
            comments += line not in directive_lines and bool(item["value"].strip())
            continue
        flags, rest = _split_flags(item["value"])
        exec_args = _exec_form(rest)
        instruction = Instruction(
            line=line,
            end_line=item["endline"] + 1,
            name=item["instruction"],
            value=item["value"],
            flags=flags,
            rest=rest,
            is_json=exec_args is not None,
            args=exec_args if exec_args is not None else tuple(rest.split()),
            stage=len(stages) - (item["instruction"] != "FROM"),
        )
        instructions.append(instruction)
        if instruction.name == "ARG" and not stages:
            for name, default in split_key_values(rest):
                if default is not None:
                    default = expand_variables(default, meta_args)[0]
                meta_args[name] = default
        elif instruction.name == "FROM":
            stages.append(_stage(instruction, len(stages), stages, meta_args))

    by_stage = {}
    for instruction in instructions:
        if instruction.name != "FROM" and instruction.stage >= 0:
            by_stage.setdefault(instruction.stage, []).append(instruction)
    stages = [_with_body(s, tuple(by_stage.get(s.index, ()))) for s in stages]
    return ParsedDockerfile(tuple(instructions), tuple(stages), comments, directives, meta_args, len(lines))


def _stage(instruction: Instruction, index: int, earlier: list, meta_args: dict) -> Stage:
    words = instruction.rest.split()
    raw_image = words[0] if words else ""
    alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    image, unresolved = expand_variables(raw_image, meta_args)
    parent = next((s.index for s in earlier if s.alias and s.alias == image.lower()), None)
    return Stage(index, instruction.line, raw_image, image, alias, tuple(unresolved), parent)


def _with_body(stage: Stage, body: tuple) -> Stage:
    return Stage(stage.index, stage.line, stage.raw_image, stage.image, stage.alias, stage.unresolved, stage.parent, body)


# ---------------------------------------------------------------------------------- gate

def gate(raw: bytes, *, allowed_bases: list[str], max_bytes: int = 64_000, max_lines: int = 1000) -> list[Finding]:
    """The failing findings of the static gate; an empty list means the build may start."""
    try:
        return _gate(raw, allowed_bases, max_bytes, max_lines)
    except Exception as exc:  # hostile text must become a rejection, never a crash
        return [Finding(False, "gate.unreadable", {"error": type(exc).__name__})]


def _reject(message_id: str, line: int | None = None, **params) -> Finding:
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

    parsed = parse(text)
    if not parsed.instructions:
        return [_reject("gate.empty")]
    findings = []
    if "syntax" in parsed.directives:
        findings.append(_reject("gate.buildkit_directive", parsed.directives["syntax"][1]))
    if not parsed.stages:
        return findings + [_reject("gate.no_from")]
    first_other = next((i for i in parsed.instructions if i.stage < 0 and i.name != "ARG"), None)
    if first_other:
        findings.append(_reject("gate.before_from", first_other.line, instruction=first_other.name))

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


def _allowed_image(image: str, allowed: dict) -> bool:
    if image == "scratch":
        return "scratch" in allowed
    ref = parse_image_ref(image)
    return ref is not None and ref.canonical in allowed


def _check_from(parsed: ParsedDockerfile, stage: Stage, allowed: dict, allowed_text: str) -> list[Finding]:
    from_instruction = next(i for i in parsed.instructions if i.name == "FROM" and i.line == stage.line)
    findings = []
    if "platform" in from_instruction.flags:
        findings.append(_reject("gate.from_platform", stage.line))
    if not stage.raw_image:
        return findings + [_reject("gate.from_invalid", stage.line, image="")]
    if stage.unresolved:
        return findings + [_reject("gate.from_unresolved", stage.line, image=stage.raw_image, variables=", ".join(stage.unresolved))]
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


def _check_instruction(instruction: Instruction, stage: Stage, parsed: ParsedDockerfile, allowed: dict, allowed_text: str) -> list[Finding]:
    findings = []
    name, line = instruction.name, instruction.line
    for flag in sorted(_BUILDKIT_FLAGS.get(name, set()) & instruction.flags.keys()):
        message_id = "gate.buildkit_chmod" if flag == "chmod" else "gate.buildkit_flag"
        findings.append(_reject(message_id, line, instruction=name, flag=f"--{flag}"))
    if name in ("RUN", "COPY", "ADD"):
        heredoc = None if "$((" in instruction.rest else _HEREDOC.search(instruction.rest)
        if heredoc:
            return findings + [_reject("gate.heredoc", line, instruction=name, marker=heredoc[0])]
    if name not in ("COPY", "ADD"):
        return findings

    copy_from = instruction.flags.get("from")
    if copy_from is not None:
        earlier = parsed.stages[: stage.index]
        is_stage = any(s.alias == copy_from.lower() for s in earlier) or (copy_from.isdigit() and int(copy_from) < stage.index)
        if not is_stage and not _allowed_image(copy_from, allowed):
            findings.append(_reject("gate.copy_from_not_allowed", line, source=copy_from, allowed=allowed_text))
        return findings  # the sources are paths inside that stage or image, not in the context

    if len(instruction.args) < 2:
        return findings + [_reject("gate.copy_needs_destination", line, instruction=name, value=instruction.rest)]
    for source in instruction.args[:-1]:
        if name == "ADD" and _URL_SOURCE.match(source):
            findings.append(_reject("gate.add_url", line, source=source))
        elif source.startswith("/") or posixpath.normpath(source).split("/")[0] == "..":
            findings.append(_reject("gate.source_outside_context", line, instruction=name, source=source))
    return findings


_BUILDKIT_NOTE_PT = "este laboratório constrói com o construtor clássico do Docker 20.10 (sem BuildKit)"
_BUILDKIT_NOTE_EN = "this lab builds with the classic builder of Docker 20.10 (no BuildKit)"

register({
    "gate.empty": {
        "pt-BR": "O Dockerfile está vazio: comece com uma instrução FROM (ex.: FROM python:3.11-slim).",
        "en": "The Dockerfile is empty: start with a FROM instruction (e.g. FROM python:3.11-slim).",
    },
    "gate.too_many_bytes": {
        "pt-BR": "O Dockerfile tem {size} bytes; o limite é {max} bytes. Envie só o Dockerfile, sem colar outros arquivos nele.",
        "en": "The Dockerfile has {size} bytes; the limit is {max} bytes. Send only the Dockerfile, without pasting other files into it.",
    },
    "gate.too_many_lines": {
        "pt-BR": "O Dockerfile tem {lines} linhas; o limite é {max} linhas.",
        "en": "The Dockerfile has {lines} lines; the limit is {max} lines.",
    },
    "gate.binary": {
        "pt-BR": "Linha {line}: o arquivo contém bytes de controle (como NUL), não parece um Dockerfile de texto. Envie o Dockerfile como texto puro.",
        "en": "Line {line}: the file contains control bytes (such as NUL) and does not look like a text Dockerfile. Send the Dockerfile as plain text.",
    },
    "gate.not_utf8": {
        "pt-BR": "Linha {line}: o Dockerfile não está em UTF-8. Salve o arquivo com a codificação UTF-8 e envie de novo.",
        "en": "Line {line}: the Dockerfile is not UTF-8. Save the file with UTF-8 encoding and send it again.",
    },
    "gate.unreadable": {
        "pt-BR": "Não foi possível ler este Dockerfile ({error}). Confira se é um Dockerfile de texto válido.",
        "en": "This Dockerfile could not be read ({error}). Check that it is a valid text Dockerfile.",
    },
    "gate.no_from": {
        "pt-BR": "Nenhuma instrução FROM encontrada: todo Dockerfile começa definindo a imagem base (ex.: FROM python:3.11-slim).",
        "en": "No FROM instruction found: every Dockerfile starts by choosing the base image (e.g. FROM python:3.11-slim).",
    },
    "gate.before_from": {
        "pt-BR": "Linha {line}: a instrução {instruction} aparece antes do primeiro FROM; antes de FROM só é permitido ARG.",
        "en": "Line {line}: the {instruction} instruction comes before the first FROM; only ARG may come before FROM.",
    },
    "gate.from_not_allowed": {
        "pt-BR": "Linha {line}: a imagem base {image} não está disponível neste laboratório (o build não baixa imagens). Use uma destas: {allowed}.",
        "en": "Line {line}: the base image {image} is not available in this lab (the build downloads no images). Use one of: {allowed}.",
    },
    "gate.from_unresolved": {
        "pt-BR": "Linha {line}: em FROM {image}, a variável {variables} não tem valor. Declare-a com um valor padrão antes do primeiro FROM (ex.: ARG PY=3.11-slim).",
        "en": "Line {line}: in FROM {image}, the variable {variables} has no value. Declare it with a default before the first FROM (e.g. ARG PY=3.11-slim).",
    },
    "gate.from_invalid": {
        "pt-BR": "Linha {line}: '{image}' não é uma referência de imagem válida (ex.: FROM python:3.11-slim).",
        "en": "Line {line}: '{image}' is not a valid image reference (e.g. FROM python:3.11-slim).",
    },
    "gate.from_digest_only": {
        "pt-BR": "Linha {line}: FROM {image} identifica a imagem só pelo digest; use uma das tags permitidas: {allowed}.",
        "en": "Line {line}: FROM {image} names the image by digest only; use one of the allowed tags: {allowed}.",
    },
    "gate.from_platform": {
        "pt-BR": "Linha {line}: FROM --platform não é aceito aqui: o sandbox só tem as imagens preparadas para esta máquina. Remova a opção --platform.",
        "en": "Line {line}: FROM --platform is not accepted here: the sandbox only has the images prepared for this machine. Remove the --platform option.",
    },
    "gate.add_url": {
        "pt-BR": "Linha {line}: ADD com URL ({source}) não é permitido: o build roda sem rede. Coloque o arquivo no contexto de build e use COPY.",
        "en": "Line {line}: ADD with a URL ({source}) is not allowed: the build runs without network. Put the file in the build context and use COPY.",
    },
    "gate.source_outside_context": {
        "pt-BR": "Linha {line}: {instruction} {source} aponta para fora do contexto de build. Use caminhos relativos dentro do projeto, sem '/' no início e sem '..'.",
        "en": "Line {line}: {instruction} {source} points outside the build context. Use paths relative to the project, with no leading '/' and no '..'.",
    },
    "gate.copy_needs_destination": {
        "pt-BR": "Linha {line}: '{instruction} {value}' precisa de uma origem e de um destino, ex.: {instruction} . /app (ou {instruction} . . depois de WORKDIR /app).",
        "en": "Line {line}: '{instruction} {value}' needs a source and a destination, e.g. {instruction} . /app (or {instruction} . . after WORKDIR /app).",
    },
    "gate.copy_from_not_allowed": {
        "pt-BR": "Linha {line}: COPY --from={source} não é um estágio anterior deste Dockerfile nem uma imagem permitida ({allowed}). Dê um nome ao estágio (FROM ... AS builder) e use COPY --from=builder.",
        "en": "Line {line}: COPY --from={source} is neither an earlier stage of this Dockerfile nor an allowed image ({allowed}). Name the stage (FROM ... AS builder) and use COPY --from=builder.",
    },
    "gate.buildkit_directive": {
        "pt-BR": f"Linha {{line}}: a diretiva '# syntax=' pede um frontend do BuildKit, mas {_BUILDKIT_NOTE_PT}. Remova essa linha.",
        "en": f"Line {{line}}: the '# syntax=' directive asks for a BuildKit frontend, but {_BUILDKIT_NOTE_EN}. Remove that line.",
    },
    "gate.buildkit_flag": {
        "pt-BR": f"Linha {{line}}: '{{instruction}} {{flag}}' só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Remova a opção {{flag}}.",
        "en": f"Line {{line}}: '{{instruction}} {{flag}}' only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Remove the {{flag}} option.",
    },
    "gate.buildkit_chmod": {
        "pt-BR": f"Linha {{line}}: '{{instruction}} --chmod' só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Remova --chmod e ajuste as permissões com RUN chmod depois do {{instruction}}.",
        "en": f"Line {{line}}: '{{instruction}} --chmod' only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Remove --chmod and set permissions with RUN chmod after the {{instruction}}.",
    },
    "gate.heredoc": {
        "pt-BR": f"Linha {{line}}: heredoc ({{marker}}) em {{instruction}} só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Escreva os comandos com && (quebrando linhas com \\) ou copie um arquivo do contexto.",
        "en": f"Line {{line}}: a heredoc ({{marker}}) in {{instruction}} only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Chain the commands with && (breaking lines with \\) or copy a file from the context.",
    },
})
