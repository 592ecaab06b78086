"""Grade files against a lab with the real sandbox: shared by `manage.py grade`, the
self-test and the Celery task, so all three grade exactly alike."""

from collections.abc import Callable

from django.conf import settings

from .content import LabContent, read_tree, submission_files
from .grading.runner import GradeResult, grade, reject
from .grading.spec import ImageSizeCheck
from .grading.types import Finding
from .sandbox.context import ContextError, validate_files
from .sandbox.docker_sandbox import DockerSandbox


def grade_files(*, lab: LabContent, given: dict[str, bytes], lang: str = "pt-BR", submission_id: str = "adhoc",
                on_log: Callable[[str], None] | None = None,
                on_phase: Callable[[str], None] | None = None, clean_first: bool = True) -> GradeResult:
    """Grade the learner's files (the starter fills in what they did not send).

    `clean_first`: remove what an earlier try of the same submission id may have left; a
    submission's first try has no earlier one and skips those daemon calls."""
    limits = lab.spec.limits_value
    try:
        files = validate_files(submission_files(lab, given), limits=limits)
    except ContextError as exc:
        return reject(spec=lab.spec, lang=lang, findings=[Finding(False, exc.message_id, exc.params)])
    needs_starter = any(isinstance(c, ImageSizeCheck) and c.max_fraction_of_starter for c in lab.spec.checks)
    starter = read_tree(lab.starter_dir) if needs_starter else None
    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    try:
        # A previous try of this submission may have died mid-way (worker killed, daemon
        # restarted): start from a clean slate so nothing of it is mistaken for this one.
        if clean_first:
            sandbox.cleanup_submission(submission_id)
        return grade(spec=lab.spec, files=files, sandbox=sandbox, lang=lang, submission_id=submission_id,
                     on_log=on_log, on_phase=on_phase, starter_files=starter)
    finally:
        sandbox.close()
