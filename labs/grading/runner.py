"""Grade one submission: gate, lint, build, run, check, clean up — and say why at each step.

Pure Python: it takes the lab spec, the submitted files and a Sandbox, and returns a
Report (plus the build log). Every Docker call happens behind the Sandbox protocol.
"""

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from .context_rules import CONTEXT_RULES
from .dockerfile import gate, parse
from .hadolint import HadolintUnavailable, run_hadolint
from .i18n import normalize_lang, t
from .ports import Container, ContainerRefused, Sandbox, SandboxFault
from .report import CheckResult, Report, Verdict
from .rules import RULES
from .spec import (
    BuildCheck, CommandCheck, ContextCheck, DockerfileCheck, FileCheck, HadolintCheck, HttpCheck,
    ImageSizeCheck, LabSpec, MetadataCheck, localize,
)
from .types import BuildOutcome, CheckStatus, Finding, HttpOutcome, ImageFacts, submission_image

log = logging.getLogger(__name__)
MB = 1_000_000
_LOG_TAIL = 2_000


class PlatformFault(SandboxFault):
    """The sandbox or a tool failed; the learner is not to blame and the work is retried."""


@dataclass
class GradeResult:
    report: Report
    log: str


@dataclass(frozen=True)
class Outcome:
    status: CheckStatus
    message: str
    line: int | None = None
    output: str = ""


class _Grader:
    def __init__(self, *, spec: LabSpec, files: dict[str, bytes], sandbox: Sandbox, lang: str,
                 submission_id: str, on_log, on_phase, starter_files: dict[str, bytes] | None,
                 run_token: str | None = None):
        self.spec, self.files, self.sandbox = spec, files, sandbox
        self.lang = normalize_lang(lang)
        self.submission_id = submission_id
        self.on_log, self.on_phase = on_log, on_phase or (lambda phase: None)
        self.starter_files = starter_files
        self.report = Report(lab=spec.slug, lang=self.lang, max_score=spec.max_score)
        self.outcomes: dict[str, Outcome] = {}
        self.log = ""
        self.container: Container | None = None
        self.build: BuildOutcome | None = None
        self.begun = False
        # One grading run: its image's tag is unguessable and its own, so no other build can
        # name it and a retry of the same submission never touches this run's work.
        self.run_token = run_token or secrets.token_hex(16)
        # The image is known by its tag; only the containers carry labels. Build labels
        # would cost a LABEL step per build that no other submission can take from the cache.
        self.tag = submission_image(submission_id, self.run_token)
        self.labels = {"estaleiro.submission": submission_id, "estaleiro.lab": spec.slug,
                       "estaleiro.run": self.run_token}

    def msg(self, message_id: str, **params) -> str:
        return t(message_id, self.lang, **params)

    @contextmanager
    def phase(self, name: str):
        self.on_phase(name)
        started = time.monotonic()
        try:
            yield
        finally:
            self.report.timings[name] = self.report.timings.get(name, 0) + time.monotonic() - started

    # -- phases -----------------------------------------------------------------------------

    def run(self) -> GradeResult:
        started = time.monotonic()
        try:
            with self.phase("gate"):
                dockerfile = self.files.get("Dockerfile")
                rejections = (
                    [Finding(False, "gate.no_dockerfile")] if dockerfile is None
                    else gate(dockerfile, allowed_bases=self.spec.bases)
                )
            if rejections:
                return self.rejected(rejections)
            self.text = dockerfile.decode("utf-8")
            self.parsed = parse(self.text)
            with self.phase("lint"):
                self.lint()
            with self.phase("build"):
                self.on_phase("building")
                self.sandbox.begin(limits=self.spec.limits, labels=self.labels, bases=self.spec.bases)
                self.begun = True
                build = self.build = self.sandbox.build(files=self.files, tag=self.tag, limits=self.spec.limits,
                                                        labels={}, on_log=self.on_log)
                self.log = build.log
                self.report.log_truncated = build.log_truncated
            if build.platform_fault:
                raise PlatformFault(t(build.error_id, "en", **build.error_params) if build.error_id else "build platform fault")
            if build.rejected:
                # The daemon-side guard caught what the gate should have: refused like the
                # gate's rejections (not an attempt), the log kept up to the refused step.
                result = self.rejected([Finding(False, build.error_id, build.error_params)])
                return GradeResult(report=result.report, log=self.log)
            self.record_build(build)
            if build.ok:
                self.after_build()
            else:
                self.skip_remaining("check.skipped_build")
            self.score()
        except (SandboxFault, HadolintUnavailable) as exc:
            self.report.status = Verdict.ERROR
            self.report.error = str(exc)
            self.report.summary = self.msg("summary.error")
            self.report.checks = []
            self.report.score = 0
        finally:
            with self.phase("cleanup"):
                self.cleanup()
            self.report.timings["total"] = time.monotonic() - started
        return GradeResult(report=self.report, log=self.log)

    def rejected(self, rejections: list[Finding]) -> GradeResult:
        self.report.status = Verdict.REJECTED
        self.report.rejections = [
            {"message": self.msg(f.message_id, **f.params), "line": f.line, "id": f.message_id} for f in rejections
        ]
        self.report.summary = self.msg("summary.rejected", reason=self.report.rejections[0]["message"])
        return GradeResult(report=self.report, log="")

    def lint(self) -> None:
        for check in self.spec.checks:
            if isinstance(check, DockerfileCheck):
                finding = RULES[check.rule](self.parsed, self.files, check.params)
                self.outcomes[check.id] = self.from_findings([finding])
            elif isinstance(check, ContextCheck):
                finding = CONTEXT_RULES[check.rule](self.files, check.params)
                self.outcomes[check.id] = self.from_findings([finding])
            elif isinstance(check, HadolintCheck):
                self.outcomes[check.id] = self.from_findings(run_hadolint(self.text, rules=check.rules))

    def from_findings(self, findings: list[Finding]) -> Outcome:
        failed = [f for f in findings if not f.passed]
        if not failed:
            return Outcome(CheckStatus.PASSED, self.msg(findings[0].message_id, **findings[0].params), findings[0].line)
        texts = [self.msg(f.message_id, **f.params) for f in failed]
        message = texts[0] if len(texts) == 1 else self.msg("rules.failed_list", count=len(texts), items=" ".join(texts))
        return Outcome(CheckStatus.FAILED, message, failed[0].line, "\n".join(f.output for f in failed if f.output))

    def record_build(self, build: BuildOutcome) -> None:
        self.report.failing_step = build.failing_step
        if build.ok:
            outcome = Outcome(CheckStatus.PASSED, self.msg("build.passed"))
        else:
            reason = self.msg(build.error_id, **build.error_params) if build.error_id else ""
            outcome = Outcome(CheckStatus.FAILED, self.msg("build.failed", step=build.failing_step or "?", reason=reason),
                              self.step_line(build.failing_step), build.log[-_LOG_TAIL:])
        for check in self.spec.checks:
            if isinstance(check, BuildCheck):
                self.outcomes[check.id] = outcome

    def step_line(self, failing_step: str) -> int | None:
        """'Step 4/9 : RUN ...' -> the Dockerfile line of the 4th instruction."""
        match = re.match(r"Step (\d+)/\d+", failing_step or "")
        if not match:
            return None
        index = int(match.group(1)) - 1
        instructions = self.parsed.instructions
        return instructions[index].line if 0 <= index < len(instructions) else None

    def skip_remaining(self, message_id: str) -> None:
        for check in self.spec.checks:
            if check.id not in self.outcomes:
                self.outcomes[check.id] = Outcome(CheckStatus.SKIPPED, self.msg(message_id))

    def after_build(self) -> None:
        with self.phase("checks"):
            facts = self.sandbox.image_facts(self.tag, base=_final_base(self.parsed))
            for check in self.spec.checks:
                if isinstance(check, MetadataCheck):
                    self.outcomes[check.id] = self.check_metadata(check, facts)
                elif isinstance(check, ImageSizeCheck):
                    self.outcomes[check.id] = self.check_size(check, facts)
        if any(check.needs_container for check in self.spec.checks):
            self.run_container()

    def run_container(self) -> None:
        self.on_phase("running")
        with self.phase("run"):
            try:
                self.container = self.sandbox.start(image=self.tag, limits=self.spec.limits, labels=self.labels)
            except ContainerRefused as refused:
                outcome = Outcome(CheckStatus.FAILED, self.msg(refused.message_id, **refused.params))
                for check in self.spec.checks:
                    if check.needs_container:
                        self.outcomes[check.id] = outcome
                return
            http_checks = [c for c in self.spec.checks if isinstance(c, HttpCheck)]
            first_answer = self.wait_ready(http_checks[0]) if http_checks else None
        self.on_phase("checking")
        with self.phase("checks"):
            for check in self.spec.checks:
                if isinstance(check, HttpCheck):
                    answer = first_answer if check is http_checks[0] else self.request(check)
                    self.outcomes[check.id] = self.check_http(check, answer)
                elif isinstance(check, CommandCheck):
                    self.outcomes[check.id] = self.check_command(check, self.container)
                elif isinstance(check, FileCheck):
                    self.outcomes[check.id] = self.check_file(check, self.container)

    def request(self, check: HttpCheck, timeout: float = 10) -> HttpOutcome:
        body = check.body if check.body is None or isinstance(check.body, str) else json.dumps(check.body)
        headers = dict(check.headers)
        if body is not None and not isinstance(check.body, str):
            headers.setdefault("Content-Type", "application/json")
        return self.container.http(method=check.method, port=check.port, path=check.path, body=body,
                                   headers=headers, timeout=timeout)

    def wait_ready(self, check: HttpCheck) -> HttpOutcome:
        """Poll until the app answers, the container dies or the readiness time runs out."""
        deadline = time.monotonic() + check.ready_seconds
        answer = HttpOutcome(status=None, body="", error="not tried")
        # Most apps answer within half a second of starting: poll often at first (each
        # probe is a cheap exec), then back off so a slow starter is not hammered.
        pause = 0.05
        while time.monotonic() < deadline:
            answer = self.request(check, timeout=min(5, max(1, deadline - time.monotonic())))
            if answer.status is not None or not self.container.is_running():
                break
            time.sleep(pause)
            pause = min(0.25, pause * 1.5)
        return answer

    # -- checks on the image and the container ----------------------------------------------

    def check_metadata(self, check: MetadataCheck, facts: ImageFacts) -> Outcome:
        expect, problems = check.expect, []
        if expect.user_not_root and facts.user.split(":")[0] in ("", "root", "0"):
            problems.append(self.msg("metadata.user_root", user=facts.user or "root"))
        for port in expect.exposed_ports or []:
            if f"{port}/tcp" not in facts.exposed_ports and str(port) not in facts.exposed_ports:
                problems.append(self.msg("metadata.port_missing", port=port, found=", ".join(facts.exposed_ports) or "—"))
        command = " ".join((facts.entrypoint or []) + (facts.cmd or []))
        for word in expect.cmd_contains or []:
            if word not in command:
                problems.append(self.msg("metadata.cmd_missing", word=word, found=command or "—"))
        if expect.workdir is not None and facts.workdir.rstrip("/") != expect.workdir.rstrip("/"):
            problems.append(self.msg("metadata.workdir", found=facts.workdir or "/", expected=expect.workdir))
        for name, value in (expect.env or {}).items():
            if facts.env.get(name) != value:
                problems.append(self.msg("metadata.env", name=name, expected=value, found=facts.env.get(name, "—")))
        for label in expect.labels or []:
            if label not in facts.labels:
                problems.append(self.msg("metadata.label", name=label))
        if expect.healthcheck and not (facts.healthcheck and facts.healthcheck[0] != "NONE"):
            problems.append(self.msg("metadata.healthcheck"))
        if problems:
            return Outcome(CheckStatus.FAILED, " ".join(problems))
        return Outcome(CheckStatus.PASSED, self.msg("metadata.passed"))

    def check_size(self, check: ImageSizeCheck, facts: ImageFacts) -> Outcome:
        if check.max_added_mb is not None:
            added = max(0, facts.size_bytes - (facts.base_size_bytes or 0)) / MB
            params = {"added": f"{added:.1f}", "limit": f"{check.max_added_mb:g}"}
            ok = added <= check.max_added_mb
            return Outcome(CheckStatus.PASSED if ok else CheckStatus.FAILED,
                           self.msg("image_size.passed" if ok else "image_size.failed", **params))
        starter = self.starter_size()
        fraction = facts.size_bytes / starter if starter else 1.0
        params = {"size": f"{facts.size_bytes / MB:.0f}", "starter": f"{starter / MB:.0f}",
                  "percent": f"{fraction * 100:.0f}", "goal": f"{check.max_fraction_of_starter * 100:.0f}"}
        ok = fraction <= check.max_fraction_of_starter
        return Outcome(CheckStatus.PASSED if ok else CheckStatus.FAILED,
                       self.msg("image_size.starter_passed" if ok else "image_size.starter_failed", **params))

    def starter_size(self) -> int:
        """Size of the image the lab's starting point builds (kept, tagged by the spec's content)."""
        if not self.starter_files:
            raise PlatformFault(f"lab {self.spec.slug} compares with its starter, but no starter files were given")
        tag = f"estaleiro-lab/{self.spec.slug}-starter:latest"
        # Built within this grading's budget and policy, like the learner's image.
        build = self.sandbox.build(files=self.starter_files, tag=tag, limits=self.spec.limits,
                                   labels={"estaleiro.lab": self.spec.slug, "estaleiro.starter": "true"})
        if not build.ok:
            raise PlatformFault(f"the starter of {self.spec.slug} does not build: {build.failing_step}")
        return self.sandbox.image_facts(tag).size_bytes

    def check_http(self, check: HttpCheck, answer: HttpOutcome) -> Outcome:
        where = {"method": check.method, "path": check.path, "port": check.port}
        if answer.status is None:
            if not self.container.is_running():
                return self.exited_outcome()
            return Outcome(CheckStatus.FAILED, self.msg("http.no_answer", seconds=f"{check.ready_seconds:g}", **where),
                           output=answer.error[-_LOG_TAIL:])
        output = answer.body[-_LOG_TAIL:]
        if answer.status != check.expect_status:
            return Outcome(CheckStatus.FAILED, self.msg("http.status", got=answer.status, expected=check.expect_status, **where), output=output)
        if check.expect_json_keys or check.expect_json:
            try:
                data = json.loads(answer.body)
            except ValueError:
                return Outcome(CheckStatus.FAILED, self.msg("http.not_json", **where), output=output)
            for key in check.expect_json_keys:
                if not isinstance(data, dict) or key not in data:
                    return Outcome(CheckStatus.FAILED, self.msg("http.json_key", key=key, **where), output=output)
            for key, value in check.expect_json.items():
                found = data.get(key) if isinstance(data, dict) else None
                if found != value:
                    return Outcome(CheckStatus.FAILED, self.msg("http.json_value", key=key, found=json.dumps(found),
                                                                expected=json.dumps(value), **where), output=output)
        if check.expect_regex and not re.search(check.expect_regex, answer.body):
            return Outcome(CheckStatus.FAILED, self.msg("http.regex", pattern=check.expect_regex, **where), output=output)
        return Outcome(CheckStatus.PASSED, self.msg("http.passed", status=answer.status, **where), output=output)

    def exited_outcome(self) -> Outcome:
        logs = self.container.logs(max_bytes=_LOG_TAIL)
        return Outcome(CheckStatus.FAILED, self.msg("container.exited", logs=logs.strip()[-800:] or "—"), output=logs)

    def check_command(self, check: CommandCheck, container: Container) -> Outcome:
        command = " ".join(check.argv)
        if not container.is_running():
            return Outcome(CheckStatus.SKIPPED, self.msg("check.skipped_container"))
        done = container.exec(check.argv, timeout=check.timeout)
        output = done.output[-_LOG_TAIL:]
        if done.exit_code is None:
            return Outcome(CheckStatus.FAILED, self.msg("command.timeout", command=command, seconds=f"{check.timeout:g}"), output=output)
        if done.exit_code != check.expect_exit:
            return Outcome(CheckStatus.FAILED, self.msg("command.exit", command=command, got=done.exit_code, expected=check.expect_exit), output=output)
        if check.expect_regex and not re.search(check.expect_regex, done.output):
            return Outcome(CheckStatus.FAILED, self.msg("command.regex", command=command, pattern=check.expect_regex), output=output)
        if check.reject_regex and re.search(check.reject_regex, done.output):
            return Outcome(CheckStatus.FAILED, self.msg("command.reject", command=command, pattern=check.reject_regex), output=output)
        return Outcome(CheckStatus.PASSED, self.msg("command.passed", command=command), output=output)

    def check_file(self, check: FileCheck, container: Container) -> Outcome:
        content = container.read_file(check.path, max_bytes=1_000_000)
        if content is None:
            ok = not check.exists
            return Outcome(CheckStatus.PASSED if ok else CheckStatus.FAILED,
                           self.msg("file.passed" if ok else "file.missing", path=check.path))
        if not check.exists:
            return Outcome(CheckStatus.FAILED, self.msg("file.present", path=check.path))
        if check.contains_regex and not re.search(check.contains_regex, content.decode("utf-8", "replace")):
            return Outcome(CheckStatus.FAILED, self.msg("file.regex", path=check.path, pattern=check.contains_regex))
        return Outcome(CheckStatus.PASSED, self.msg("file.passed", path=check.path))

    # -- scoring and cleanup ----------------------------------------------------------------

    def score(self) -> None:
        score, failed_required = 0.0, None
        for check in self.spec.checks:
            outcome = self.outcomes.get(check.id) or Outcome(CheckStatus.SKIPPED, self.msg("check.skipped_build"))
            points = check.points if outcome.status == CheckStatus.PASSED else 0
            score += points
            if check.required and outcome.status != CheckStatus.PASSED and failed_required is None:
                failed_required = check
            self.report.checks.append(CheckResult(
                id=check.id, kind=check.kind, title=localize(check.title, self.lang), status=outcome.status,
                points=points, max_points=0 if check.bonus else check.points, required=check.required,
                bonus=check.bonus, message=outcome.message,
                hint="" if outcome.status == CheckStatus.PASSED else localize(check.hint, self.lang),
                lesson_section=check.lesson_section or self.spec.lesson_section or "",
                line=outcome.line, output=outcome.output,
            ))
        max_score = self.spec.max_score
        self.report.score = min(score, max_score)
        numbers = {"score": f"{self.report.score:g}", "max_score": max_score}
        if failed_required is not None:
            self.report.status = Verdict.FAILED
            self.report.summary = self.msg("summary.failed_required", check=localize(failed_required.title, self.lang), **numbers)
        elif self.report.score >= self.spec.pass_ratio * max_score:
            self.report.status = Verdict.PASSED
            self.report.summary = self.msg("summary.passed", **numbers)
        else:
            self.report.status = Verdict.FAILED
            self.report.summary = self.msg("summary.failed", **numbers)

    def cleanup(self) -> None:
        # A failed cleanup must not hide the verdict: the janitor reclaims what is left.
        try:
            if self.container is not None:
                self.container.remove()
            if self.build is not None:
                if self.build.ok:
                    self.sandbox.remove_image(self.tag)
                else:
                    # No layer of a failed or refused build stays behind as cache.
                    self.sandbox.discard_build(self.build)
        except SandboxFault as exc:
            log.warning("cleanup of submission %s left work for the janitor: %s", self.submission_id, exc)
        finally:
            if self.begun:
                self.sandbox.end()


def _final_base(parsed) -> str | None:
    """The image the final stage is built on (following FROM <stage> chains)."""
    stage = parsed.final_stage
    return parsed.base_of(stage).image if stage else None


def grade(*, spec: LabSpec, files: dict[str, bytes], sandbox: Sandbox, lang: str = "pt-BR",
          submission_id: str = "adhoc", on_log: Callable[[str], None] | None = None,
          on_phase: Callable[[str], None] | None = None,
          starter_files: dict[str, bytes] | None = None, run_token: str | None = None) -> GradeResult:
    """Grade `files` (validated context, 'Dockerfile' included) against `spec`.

    `run_token` names this grading run (its image tag, its containers' labels); a random
    one is made when none is given."""
    return _Grader(spec=spec, files=files, sandbox=sandbox, lang=lang, submission_id=submission_id,
                   on_log=on_log, on_phase=on_phase, starter_files=starter_files, run_token=run_token).run()


def reject(*, spec: LabSpec, lang: str, findings: list[Finding]) -> GradeResult:
    """A rejected report for input refused before grading (e.g. an unsafe upload)."""
    grader = _Grader(spec=spec, files={}, sandbox=None, lang=lang, submission_id="rejected",
                     on_log=None, on_phase=None, starter_files=None)
    return grader.rejected(findings)
