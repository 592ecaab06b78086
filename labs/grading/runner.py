"""Grade one submission: gate, lint, build, run, check, clean up — and say why at each step.

Pure Python: it takes the lab spec, the submitted files and a Sandbox, and returns a
Report (plus the build log). Every Docker call happens behind the Sandbox protocol.
"""

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .dockerfile import ParsedDockerfile, gate, parse
from .hadolint import HadolintUnavailable
from .i18n import normalize_lang, t
from .kinds import CheckBase, Grading, Outcome, Phase, PlatformFault, kind_of
from .ports import Container, ContainerRefused, Sandbox, SandboxFault
from .report import CheckResult, Report, Verdict
from .spec import LabSpec, ParametersUnresolved, localize
from .text import Message
from .types import BuildOutcome, CheckStatus, Finding, submission_image

__all__ = ["GradeResult", "PlatformFault", "grade", "reject"]

log = logging.getLogger(__name__)


@dataclass
class GradeResult:
    report: Report
    log: str


class _Grader:
    def __init__(
        self,
        *,
        spec: LabSpec,
        files: dict[str, bytes],
        sandbox: Sandbox,
        lang: str,
        submission_id: str,
        on_log: Callable[[str], None] | None,
        on_phase: Callable[[str], None] | None,
        starter_files: dict[str, bytes] | None,
        run_token: str | None = None,
    ):
        self.spec, self.files, self.sandbox = spec, files, sandbox
        self.lang = normalize_lang(lang)
        self.submission_id = submission_id
        self.on_log, self.on_phase = on_log, on_phase or (lambda phase: None)
        self.starter_files = starter_files
        if spec.parameterized and spec.values is None:
            # The template holds no learner's values: its checks would expect a sample's.
            raise ParametersUnresolved(f"lab {spec.slug} has parameters: grade it with spec.resolve(values)")
        self.report = Report(lab=spec.slug, lang=self.lang, max_score=spec.max_score, parameters=spec.values or {})
        self.outcomes: dict[str, Outcome] = {}
        self.log = ""
        # What cleanup undoes, once made.
        self.container: Container | None = None
        self.build: BuildOutcome | None = None
        self.begun = False
        # One grading run: its image's tag is unguessable and its own, so no other build can
        # name it and a retry of the same submission never touches this run's work.
        self.run_token = run_token or secrets.token_hex(16)
        # The image is known by its tag; only the containers carry labels. Build labels
        # would cost a LABEL step per build that no other submission can take from the cache.
        self.tag = submission_image(submission_id, self.run_token)
        self.labels = {
            "estaleiro.submission": submission_id,
            "estaleiro.lab": spec.slug,
            "estaleiro.run": self.run_token,
        }

    def summarize(self, message_id: str, **params: object) -> None:
        summary = Message(message_id, dict(params))
        self.report.summary, self.report.summary_data = summary.render(self.lang), summary.data()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
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
                    [Finding(False, "gate.no_dockerfile")]
                    if dockerfile is None
                    else gate(dockerfile, allowed_bases=self.spec.bases)
                )
            if rejections or dockerfile is None:
                return self.rejected(rejections)
            text = dockerfile.decode("utf-8")
            grading = Grading(
                spec=self.spec,
                files=self.files,
                dockerfile=text,
                parsed=parse(text),
                lang=self.lang,
                sandbox=self.sandbox,
                starter_files=self.starter_files,
            )
            with self.phase("lint"):
                self.run_checks(Phase.LINT, grading)
            with self.phase("build"):
                self.on_phase("building")
                self.sandbox.begin(limits=self.spec.limits, labels=self.labels, bases=self.spec.bases)
                self.begun = True
                build = self.build = grading.build = self.sandbox.build(
                    files=self.files, tag=self.tag, limits=self.spec.limits, labels={}, on_log=self.on_log
                )
                self.log = build.log
                self.report.log_truncated = build.log_truncated
            if build.platform_fault:
                raise PlatformFault(
                    t(build.error_id, "en", **build.error_params) if build.error_id else "build platform fault"
                )
            if build.rejected:
                # The daemon-side guard caught what the gate should have: refused like the
                # gate's rejections (not an attempt), the log kept up to the refused step.
                result = self.rejected([Finding(False, build.error_id, build.error_params)])
                return GradeResult(report=result.report, log=self.log)
            self.report.failing_step = build.failing_step
            self.run_checks(Phase.BUILD, grading)
            if build.ok:
                self.after_build(grading)
            self.score()
        except (SandboxFault, HadolintUnavailable) as exc:
            self.report.status = Verdict.ERROR
            self.report.error = str(exc)
            self.summarize("summary.error")
            self.report.checks = []
            self.report.score = 0
        finally:
            with self.phase("cleanup"):
                self.cleanup()
            self.report.timings["total"] = time.monotonic() - started
        return GradeResult(report=self.report, log=self.log)

    def rejected(self, rejections: list[Finding]) -> GradeResult:
        return _rejected(self.report, rejections)

    def checks_of(self, phase: Phase) -> list[CheckBase]:
        return [check for check in self.spec.checks if kind_of(check).phase == phase]

    def run_checks(self, phase: Phase, grading: Grading) -> None:
        for check in self.checks_of(phase):
            self.outcomes[check.id] = kind_of(check).run(check, grading)

    def prepare(self, phase: Phase, grading: Grading) -> None:
        """Each kind's own preparation, once, with its checks of the phase (in spec order)."""
        by_kind: dict[str, list[CheckBase]] = {}
        for check in self.checks_of(phase):
            by_kind.setdefault(check.kind, []).append(check)
        for checks in by_kind.values():
            prepare = kind_of(checks[0]).prepare
            if prepare is not None:
                prepare(checks, grading)

    def after_build(self, grading: Grading) -> None:
        with self.phase("checks"):
            grading.facts = self.sandbox.image_facts(self.tag, base=_final_base(grading.parsed))
            self.run_checks(Phase.IMAGE, grading)
        if self.checks_of(Phase.CONTAINER):
            self.run_container(grading)

    def run_container(self, grading: Grading) -> None:
        self.on_phase("running")
        with self.phase("run"):
            try:
                self.container = grading.container = self.sandbox.start(
                    image=self.tag, limits=self.spec.limits, labels=self.labels
                )
            except ContainerRefused as refused:
                outcome = Outcome(CheckStatus.FAILED, Message(refused.message_id, refused.params))
                for check in self.checks_of(Phase.CONTAINER):
                    self.outcomes[check.id] = outcome
                return
            self.prepare(Phase.CONTAINER, grading)
        self.on_phase("checking")
        with self.phase("checks"):
            self.run_checks(Phase.CONTAINER, grading)

    # -- scoring and cleanup ----------------------------------------------------------------

    def score(self) -> None:
        score, failed_required = 0.0, None
        for check in self.spec.checks:
            # Not run: its phase was never reached (the build failed).
            outcome = self.outcomes.get(check.id) or Outcome(CheckStatus.SKIPPED, Message(kind_of(check).skipped))
            points = check.points if outcome.status == CheckStatus.PASSED else 0
            score += points
            if check.required and outcome.status != CheckStatus.PASSED and failed_required is None:
                failed_required = check
            self.report.checks.append(
                CheckResult(
                    id=check.id,
                    kind=check.kind,
                    title=localize(check.title, self.lang),
                    status=outcome.status,
                    points=points,
                    max_points=0 if check.bonus else check.points,
                    required=check.required,
                    bonus=check.bonus,
                    message=_text(outcome.message, self.lang),
                    message_data=outcome.message.data() if isinstance(outcome.message, Message) else None,
                    hint="" if outcome.status == CheckStatus.PASSED else localize(check.hint, self.lang),
                    lesson_section=check.lesson_section or self.spec.lesson_section or "",
                    line=outcome.line,
                    output=outcome.output,
                )
            )
        max_score = self.spec.max_score
        self.report.score = min(score, max_score)
        numbers = {"score": f"{self.report.score:g}", "max_score": max_score}
        if failed_required is not None:
            self.report.status = Verdict.FAILED
            # The title in both languages when the spec gives both: a summary read in either.
            title = failed_required.title
            self.summarize(
                "summary.failed_required", check=title if isinstance(title, str) else {"text": title}, **numbers
            )
        elif self.report.score >= self.spec.pass_ratio * max_score:
            self.report.status = Verdict.PASSED
            self.summarize("summary.passed", **numbers)
        else:
            self.report.status = Verdict.FAILED
            self.summarize("summary.failed", **numbers)

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


def _final_base(parsed: ParsedDockerfile) -> str | None:
    """The image the final stage is built on (following FROM <stage> chains)."""
    stage = parsed.final_stage
    return parsed.base_of(stage).image if stage else None


def grade(
    *,
    spec: LabSpec,
    files: dict[str, bytes],
    sandbox: Sandbox,
    lang: str = "pt-BR",
    submission_id: str = "adhoc",
    on_log: Callable[[str], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    starter_files: dict[str, bytes] | None = None,
    run_token: str | None = None,
) -> GradeResult:
    """Grade `files` (validated context, 'Dockerfile' included) against `spec`.

    `run_token` names this grading run (its image tag, its containers' labels); a random
    one is made when none is given."""
    return _Grader(
        spec=spec,
        files=files,
        sandbox=sandbox,
        lang=lang,
        submission_id=submission_id,
        on_log=on_log,
        on_phase=on_phase,
        starter_files=starter_files,
        run_token=run_token,
    ).run()


def reject(*, spec: LabSpec, lang: str, findings: list[Finding]) -> GradeResult:
    """A rejected report for input refused before grading (e.g. an unsafe upload)."""
    report = Report(lab=spec.slug, lang=normalize_lang(lang), max_score=spec.max_score, parameters=spec.values or {})
    return _rejected(report, findings)


def _rejected(report: Report, rejections: list[Finding]) -> GradeResult:
    """Make `report` a rejection: the reasons in its language, nothing graded, no log."""
    report.status = Verdict.REJECTED
    report.rejections = [
        {"message": t(f.message_id, report.lang, **f.params), "line": f.line, "id": f.message_id, "params": f.params}
        for f in rejections
    ]
    summary = Message("summary.rejected", {"reason": Message(rejections[0].message_id, rejections[0].params)})
    report.summary, report.summary_data = summary.render(report.lang), summary.data()
    return GradeResult(report=report, log="")


def _text(message: Message | str, lang: str) -> str:
    return message.render(lang) if isinstance(message, Message) else message
