"""The built-in check kinds, modelled on container-structure-test, hadolint and Dockle.

Each kind is one block here: its spec model, the function that runs it, and its entry in
the registry (labs/grading/kinds.py). A new kind is one more block (and its messages).
"""

import json
import re
import time
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .context_rules import CONTEXT_RULES
from .hadolint import run_hadolint
from .kinds import CHECK_KINDS, CheckBase, CheckKind, Grading, Outcome, Phase, PlatformFault, SpecModel, register
from .rules import RULES
from .text import Message
from .types import CheckStatus, HttpOutcome

__all__ = ["CHECK_KINDS"]

MB = 1_000_000
LOG_TAIL = 2_000

# -- build: it builds within limits ------------------------------------------------------------


class BuildCheck(CheckBase):
    kind: Literal["build"]


def run_build(check: BuildCheck, grading: Grading) -> Outcome:
    build = grading.build
    assert build is not None  # the BUILD phase runs after the build
    if build.ok:
        return Outcome(CheckStatus.PASSED, grading.msg("build.passed"))
    reason = grading.msg(build.error_id, **build.error_params) if build.error_id else ""
    return Outcome(
        CheckStatus.FAILED,
        grading.msg("build.failed", step=build.failing_step or "?", reason=reason),
        grading.step_line(build.failing_step),
        build.log[-LOG_TAIL:],
    )


register(CheckKind("build", BuildCheck, Phase.BUILD, run_build))

# -- dockerfile: a lesson rule on the parsed Dockerfile (labs/grading/rules.py) -----------------


class DockerfileCheck(CheckBase):
    kind: Literal["dockerfile"]
    rule: str
    params: dict[str, Any] = {}

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, rule: str) -> str:
        if rule not in RULES:
            raise ValueError(f"unknown dockerfile rule {rule!r}; known: {', '.join(sorted(RULES))}")
        return rule


def run_dockerfile(check: DockerfileCheck, grading: Grading) -> Outcome:
    return grading.from_findings([RULES[check.rule](grading.parsed, grading.files, check.params)])


register(CheckKind("dockerfile", DockerfileCheck, Phase.LINT, run_dockerfile))

# -- hadolint: selected hadolint rules ---------------------------------------------------------


class HadolintCheck(CheckBase):
    kind: Literal["hadolint"]
    rules: Annotated[list[Annotated[str, Field(pattern=r"^(DL|SC)\d{4}$")]], Field(min_length=1)]


def run_hadolint_check(check: HadolintCheck, grading: Grading) -> Outcome:
    findings = run_hadolint(grading.dockerfile, rules=check.rules)
    if all(finding.passed for finding in findings):
        # Name every rule that ran, not only the first one.
        return Outcome(CheckStatus.PASSED, grading.msg("hadolint.all_passed", codes=", ".join(check.rules)))
    return grading.from_findings(findings)


register(CheckKind("hadolint", HadolintCheck, Phase.LINT, run_hadolint_check))

# -- context: the build context (.dockerignore) ------------------------------------------------


class ContextCheck(CheckBase):
    kind: Literal["context"]
    rule: Literal["dockerignore"] = "dockerignore"
    params: dict[str, Any] = {}


def run_context(check: ContextCheck, grading: Grading) -> Outcome:
    return grading.from_findings([CONTEXT_RULES[check.rule](grading.files, check.params)])


register(CheckKind("context", ContextCheck, Phase.LINT, run_context))

# -- metadata: the image's configuration -------------------------------------------------------


class MetadataExpect(SpecModel):
    user_not_root: bool | None = None
    # The user the image runs as (USER, without its group), e.g. the learner's drawn name.
    user: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$")] | None = None
    exposed_ports: list[int] | None = None
    cmd_contains: list[str] | None = None
    workdir: str | None = None
    env: dict[str, str] | None = None
    labels: list[str] | None = None
    healthcheck: bool | None = None


class MetadataCheck(CheckBase):
    kind: Literal["metadata"]
    expect: MetadataExpect


def run_metadata(check: MetadataCheck, grading: Grading) -> Outcome:
    facts, msg = grading.facts, grading.msg
    assert facts is not None  # the IMAGE phase runs once the facts are read
    expect, problems = check.expect, list[Message]()
    # Values drawn for this learner: a miss names them as theirs ("your port is 5081").
    drawn = grading.drawn_for(check)
    user = facts.user.split(":")[0]
    if expect.user_not_root and user in ("", "root", "0"):
        problems.append(msg("metadata.user_root", user=facts.user or "root"))
    if expect.user is not None and user != expect.user:
        which = "metadata.user_yours" if expect.user in drawn else "metadata.user"
        problems.append(msg(which, expected=expect.user, found=user or "root"))
    for port in expect.exposed_ports or []:
        if f"{port}/tcp" not in facts.exposed_ports and str(port) not in facts.exposed_ports:
            if port in drawn:
                found = ", ".join(p.removesuffix("/tcp") for p in facts.exposed_ports)
                problems.append(msg("metadata.port_yours", port=port, found=found or "—"))
            else:
                problems.append(msg("metadata.port_missing", port=port, found=", ".join(facts.exposed_ports) or "—"))
    command = " ".join((facts.entrypoint or []) + (facts.cmd or []))
    for word in expect.cmd_contains or []:
        if word not in command:
            problems.append(msg("metadata.cmd_missing", word=word, found=command or "—"))
    if expect.workdir is not None and facts.workdir.rstrip("/") != expect.workdir.rstrip("/"):
        problems.append(msg("metadata.workdir", found=facts.workdir or "/", expected=expect.workdir))
    for name, value in (expect.env or {}).items():
        if facts.env.get(name) != value:
            problems.append(msg("metadata.env", name=name, expected=value, found=facts.env.get(name, "—")))
    for label in expect.labels or []:
        if label not in facts.labels:
            problems.append(msg("metadata.label", name=label))
    if expect.healthcheck and not (facts.healthcheck and facts.healthcheck[0] != "NONE"):
        problems.append(msg("metadata.healthcheck"))
    if problems:
        return Outcome(CheckStatus.FAILED, Message.join(problems))
    return Outcome(CheckStatus.PASSED, msg("metadata.passed"))


register(CheckKind("metadata", MetadataCheck, Phase.IMAGE, run_metadata))

# -- http: a request made inside the container's network namespace ----------------------------


class HttpCheck(CheckBase):
    kind: Literal["http"]
    method: Literal["GET", "POST", "PUT", "DELETE", "HEAD"] = "GET"
    path: Annotated[str, Field(pattern=r"^/[\x21-\x7e]*$")] = "/"
    port: Annotated[int, Field(ge=1, le=65535)]
    body: str | dict[str, Any] | list[Any] | None = None
    headers: dict[str, str] = {}
    expect_status: Annotated[int, Field(ge=100, le=599)] = 200
    expect_json_keys: list[str] = []
    expect_json: dict[str, Any] = {}
    expect_regex: str | None = None
    ready_seconds: Annotated[float, Field(gt=0, le=120)] = 20

    @field_validator("expect_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


def _request(check: HttpCheck, grading: Grading, timeout: float = 10) -> HttpOutcome:
    body = check.body if check.body is None or isinstance(check.body, str) else json.dumps(check.body)
    headers = dict(check.headers)
    if body is not None and not isinstance(check.body, str):
        headers.setdefault("Content-Type", "application/json")
    return grading.running().http(
        method=check.method, port=check.port, path=check.path, body=body, headers=headers, timeout=timeout
    )


def wait_ready(checks: list[HttpCheck], grading: Grading) -> None:
    """Poll the first HTTP check until the app answers, the container dies or the readiness
    time runs out; that answer is the first check's."""
    check = checks[0]
    container = grading.running()
    deadline = time.monotonic() + check.ready_seconds
    answer = HttpOutcome(status=None, body="", error="not tried")
    # When the start command binds another port (a learner who used someone else's), the app
    # answering there means it is up: no use waiting the whole readiness time for this port.
    other = command_binding_other_port(grading, check.port)
    elsewhere = check.model_copy(update={"port": other[2]}) if other else None
    # Most apps answer within half a second of starting: poll often at first (each
    # probe is a cheap exec), then back off so a slow starter is not hammered.
    pause = 0.05
    while time.monotonic() < deadline:
        answer = _request(check, grading, timeout=min(5, max(1, deadline - time.monotonic())))
        if answer.status is not None or not container.is_running():
            break
        if elsewhere is not None and _request(elsewhere, grading, timeout=1).status is not None:
            break
        time.sleep(pause)
        pause = min(0.25, pause * 1.5)
    grading.prepared[check.id] = answer


# A port a start command binds: gunicorn --bind 0.0.0.0:8000 / -b :8000, --port 8000, -p 8000,
# host:8000 written out, or PORT=8000 on the command line.
_BOUND_PORT = re.compile(
    r"(?:--bind|--port|--listen|-b|-p)[= ]\S*?:?(\d{2,5})\b"
    r"|(?:0\.0\.0\.0|127\.0\.0\.1|localhost|\[::\]):(\d{2,5})\b"
    r"|\bPORT=(\d{2,5})\b"
)


def command_binding_other_port(grading: Grading, port: int) -> tuple[int, str, int] | None:
    """(line, CMD or ENTRYPOINT, port) of the final stage's start command when it binds a port
    other than `port` and not `port` itself; None when it names no port or the right one."""
    stage = grading.parsed.final_stage if grading.parsed else None
    if stage is None:
        return None
    starts = [i for s in grading.parsed.lineage(stage) for i in s.instructions if i.name in ("CMD", "ENTRYPOINT")]
    latest = {i.name: i for i in starts}  # the last of each kind is the one in force
    for instruction in sorted(latest.values(), key=lambda i: i.line):
        text = " ".join(instruction.args) if instruction.is_json else instruction.value
        bound = [int(next(g for g in m.groups() if g)) for m in _BOUND_PORT.finditer(text)]
        if bound and port not in bound:
            return instruction.line, instruction.name, bound[0]
    return None


def run_http(check: HttpCheck, grading: Grading) -> Outcome:
    answer = grading.prepared.pop(check.id, None) or _request(check, grading)
    msg = grading.msg
    where = {"method": check.method, "path": check.path, "port": check.port}
    if answer.status is None:
        if not grading.running().is_running():
            return exited_outcome(grading)
        other = command_binding_other_port(grading, check.port)
        if other is not None:
            line, instruction, bound = other
            yours = check.port in grading.drawn_for(check)
            return Outcome(
                CheckStatus.FAILED,
                msg(
                    "http.other_port_yours" if yours else "http.other_port",
                    seconds=f"{check.ready_seconds:g}",
                    line=line,
                    instruction=instruction,
                    bound=bound,
                    **where,
                ),
                line,
                output=answer.error[-LOG_TAIL:],
            )
        return Outcome(
            CheckStatus.FAILED,
            msg("http.no_answer", seconds=f"{check.ready_seconds:g}", **where),
            output=answer.error[-LOG_TAIL:],
        )
    output = answer.body[-LOG_TAIL:]
    if answer.status != check.expect_status:
        return Outcome(
            CheckStatus.FAILED,
            msg("http.status", got=answer.status, expected=check.expect_status, **where),
            output=output,
        )
    if check.expect_json_keys or check.expect_json:
        try:
            data = json.loads(answer.body)
        except ValueError:
            return Outcome(CheckStatus.FAILED, msg("http.not_json", **where), output=output)
        for key in check.expect_json_keys:
            if not isinstance(data, dict) or key not in data:
                return Outcome(CheckStatus.FAILED, msg("http.json_key", key=key, **where), output=output)
        for key, value in check.expect_json.items():
            found = data.get(key) if isinstance(data, dict) else None
            if found != value:
                return Outcome(
                    CheckStatus.FAILED,
                    msg("http.json_value", key=key, found=json.dumps(found), expected=json.dumps(value), **where),
                    output=output,
                )
    if check.expect_regex and not re.search(check.expect_regex, answer.body):
        return Outcome(CheckStatus.FAILED, msg("http.regex", pattern=check.expect_regex, **where), output=output)
    return Outcome(CheckStatus.PASSED, msg("http.passed", status=answer.status, **where), output=output)


def exited_outcome(grading: Grading) -> Outcome:
    logs = grading.running().logs(max_bytes=LOG_TAIL)
    return Outcome(CheckStatus.FAILED, grading.msg("container.exited", logs=logs.strip()[-800:] or "—"), output=logs)


register(CheckKind("http", HttpCheck, Phase.CONTAINER, run_http, prepare=wait_ready))

# -- command: a command run in the container ---------------------------------------------------


class CommandCheck(CheckBase):
    kind: Literal["command"]
    argv: Annotated[list[str], Field(min_length=1)]
    expect_exit: int = 0
    expect_regex: str | None = None
    reject_regex: str | None = None
    timeout: Annotated[float, Field(gt=0, le=60)] = 10


def run_command(check: CommandCheck, grading: Grading) -> Outcome:
    container, msg = grading.running(), grading.msg
    command = " ".join(check.argv)
    if not container.is_running():
        return Outcome(CheckStatus.SKIPPED, msg("check.skipped_container"))
    done = container.exec(check.argv, timeout=check.timeout)
    output = done.output[-LOG_TAIL:]
    if done.exit_code is None:
        return Outcome(
            CheckStatus.FAILED, msg("command.timeout", command=command, seconds=f"{check.timeout:g}"), output=output
        )
    if done.exit_code != check.expect_exit:
        return Outcome(
            CheckStatus.FAILED,
            msg("command.exit", command=command, got=done.exit_code, expected=check.expect_exit),
            output=output,
        )
    if check.expect_regex and not re.search(check.expect_regex, done.output):
        return Outcome(
            CheckStatus.FAILED, msg("command.regex", command=command, pattern=check.expect_regex), output=output
        )
    if check.reject_regex and re.search(check.reject_regex, done.output):
        return Outcome(
            CheckStatus.FAILED, msg("command.reject", command=command, pattern=check.reject_regex), output=output
        )
    return Outcome(CheckStatus.PASSED, msg("command.passed", command=command), output=output)


register(CheckKind("command", CommandCheck, Phase.CONTAINER, run_command))

# -- file: a file in the container -------------------------------------------------------------


class FileCheck(CheckBase):
    kind: Literal["file"]
    path: Annotated[str, Field(pattern=r"^/")]
    exists: bool = True
    contains_regex: str | None = None


def run_file(check: FileCheck, grading: Grading) -> Outcome:
    msg = grading.msg
    content = grading.running().read_file(check.path, max_bytes=1_000_000)
    if content is None:
        ok = not check.exists
        return Outcome(
            CheckStatus.PASSED if ok else CheckStatus.FAILED,
            msg("file.passed" if ok else "file.missing", path=check.path),
        )
    if not check.exists:
        return Outcome(CheckStatus.FAILED, msg("file.present", path=check.path))
    if check.contains_regex and not re.search(check.contains_regex, content.decode("utf-8", "replace")):
        return Outcome(CheckStatus.FAILED, msg("file.regex", path=check.path, pattern=check.contains_regex))
    return Outcome(CheckStatus.PASSED, msg("file.passed", path=check.path))


register(CheckKind("file", FileCheck, Phase.CONTAINER, run_file))

# -- image_size: what the learner added over the base, or a fraction of the starter's ----------


class ImageSizeCheck(CheckBase):
    kind: Literal["image_size"]
    # Megabytes the learner's image adds over its base image.
    max_added_mb: Annotated[float, Field(gt=0)] | None = None
    # Or: at most this fraction of the size the lab's starter Dockerfile produces.
    max_fraction_of_starter: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "ImageSizeCheck":
        if (self.max_added_mb is None) == (self.max_fraction_of_starter is None):
            raise ValueError("set exactly one of max_added_mb and max_fraction_of_starter")
        return self


def run_image_size(check: ImageSizeCheck, grading: Grading) -> Outcome:
    facts = grading.facts
    assert facts is not None
    if check.max_added_mb is not None:
        added = max(0, facts.size_bytes - (facts.base_size_bytes or 0)) / MB
        params = {"added": f"{added:.1f}", "limit": f"{check.max_added_mb:g}"}
        ok = added <= check.max_added_mb
        return Outcome(
            CheckStatus.PASSED if ok else CheckStatus.FAILED,
            grading.msg("image_size.passed" if ok else "image_size.failed", **params),
        )
    assert check.max_fraction_of_starter is not None
    starter = _starter_size(grading)
    fraction = facts.size_bytes / starter if starter else 1.0
    params = {
        "size": f"{facts.size_bytes / MB:.0f}",
        "starter": f"{starter / MB:.0f}",
        "percent": f"{fraction * 100:.0f}",
        "goal": f"{check.max_fraction_of_starter * 100:.0f}",
    }
    ok = fraction <= check.max_fraction_of_starter
    return Outcome(
        CheckStatus.PASSED if ok else CheckStatus.FAILED,
        grading.msg("image_size.starter_passed" if ok else "image_size.starter_failed", **params),
    )


def _starter_size(grading: Grading) -> int:
    """Size of the image the lab's starting point builds (kept, tagged by the lab's slug)."""
    spec = grading.spec
    if not grading.starter_files:
        raise PlatformFault(f"lab {spec.slug} compares with its starter, but no starter files were given")
    tag = f"estaleiro-lab/{spec.slug}-starter:latest"
    # Built within this grading's budget and policy, like the learner's image.
    build = grading.sandbox.build(
        files=grading.starter_files,
        tag=tag,
        limits=spec.limits,
        labels={"estaleiro.lab": spec.slug, "estaleiro.starter": "true"},
    )
    if not build.ok:
        raise PlatformFault(f"the starter of {spec.slug} does not build: {build.failing_step}")
    return grading.sandbox.image_facts(tag).size_bytes


register(CheckKind("image_size", ImageSizeCheck, Phase.IMAGE, run_image_size))
