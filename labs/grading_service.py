"""Grade files against a lab with the real sandbox: shared by `manage.py grade`, the
self-test and the Celery task, so all three grade exactly alike."""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

from .content import GradableLab, submission_files
from .grading.runner import GradeResult, grade, reject
from .grading.types import Finding
from .sandbox.context import ContextError, validate_files
from .sandbox.docker_sandbox import DockerSandbox


def grade_files(
    *,
    lab: GradableLab,
    given: dict[str, bytes],
    lang: str = "pt-BR",
    submission_id: str = "adhoc",
    on_log: Callable[[str], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    run_token: str | None = None,
    slot_pool: bool = False,
    parameters: Mapping[str, Any] | None = None,
) -> GradeResult:
    """Grade the learner's files (the starter fills in what they did not send) against
    this version of the lab: its spec and its starter files come together, from the
    database row of that version (labs.selectors.lab_version) or from the content folder.

    `run_token` names this grading run; everything it makes in the sandbox is its own, so
    a retry never touches the work of an earlier run of the same submission (which may
    still be alive): a dead run's leftovers expire and the janitor takes them.

    `slot_pool`: start the next grading's slot ahead of time (for long-lived processes, the
    grading workers; a command that exits after grading would leave it to the janitor).

    `parameters`: the learner's values, for a lab that has parameters (its checks use them)."""
    spec = lab.spec.resolve(parameters) if parameters is not None else lab.spec
    try:
        files = validate_files(submission_files(lab, given), limits=spec.limits)
    except ContextError as exc:
        return reject(spec=spec, lang=lang, findings=[Finding(False, exc.message_id, exc.params)])
    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST, slot_pool=slot_pool)
    try:
        return grade(
            spec=spec,
            files=files,
            sandbox=sandbox,
            lang=lang,
            submission_id=submission_id,
            on_log=on_log,
            on_phase=on_phase,
            starter_files=dict(lab.starter_files),
            run_token=run_token,
        )
    finally:
        sandbox.close()
