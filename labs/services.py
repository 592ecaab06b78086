import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from classes.deadlines import Lateness, learner_terms, terms_with
from classes.models import Extension, Offering
from classes.signals import grade_changed_send
from config.celery import app as celery_app

from .content import encode_files, load_lab
from .grading.i18n import t
from .grading.parameters import draw_balanced
from .grading.report import Verdict
from .grading.spec import LabSpec, SpecError, localize
from .livelog import LiveLog
from .models import Lab, LabVersion, ParameterDraw, Submission
from .sandbox.context import ContextError, validate_files
from .selectors import LabVersionMissing, lab_spec, lab_spec_or_none, submission_files_decoded, submission_lab_version

log = logging.getLogger(__name__)
Status = Submission.Status
LOG_CAP_CHARS = 200_000
# The grading task's registered name (labs/tasks.py registers it; config/settings.py routes it).
GRADE_SUBMISSION_TASK = "labs.grade_submission"


class ContentError(ValueError):
    """A content file is unusable; the message names the file and what is wrong."""


@transaction.atomic
def lab_sync_from_dir(*, lab_dir: Path) -> tuple[Lab, bool]:
    """Create or update the Lab row from content/labs/<slug>/ (the spec is validated first),
    and store this version of it (spec and starter files) under its hash: earlier versions
    stay for the submissions made for them."""
    try:
        content = load_lab(lab_dir)
        starter = content.starter_files
    except (SpecError, ValueError) as exc:
        raise ContentError(str(exc)) from exc
    spec = content.spec
    lab, created = Lab.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "title": localize(spec.title, "pt-BR"),
            "summary": localize(spec.summary, "pt-BR"),
            "spec_hash": content.hash,
            "position": spec.position,
        },
    )
    LabVersion.objects.update_or_create(
        lab=lab,
        spec_hash=content.hash,
        defaults={"spec": spec.stored(), "starter_files": encode_files(starter)},
    )
    return lab, created


# -- parameters drawn per learner --------------------------------------------------------------


def parameter_values_for(*, learner, offering: Offering, spec: LabSpec) -> dict:
    """The learner's values of the lab's parameters in this class: drawn the first time (the
    combination the fewest classmates hold, ties broken at random) and stored, then always
    the same. A parameter the lab gained since is drawn and added; the values already drawn
    never change, even when lab.yaml's value sets do. {} for a lab without parameters."""
    if not spec.parameterized:
        return {}
    names = {p.name for p in spec.parameters}
    held = ParameterDraw.objects.filter(offering=offering, learner=learner).values_list("values", flat=True).first()
    if held is not None and names <= set(held):
        return dict(held)
    with transaction.atomic():
        # One draw at a time per class, so two learners arriving together are balanced too
        # (a row lock on PostgreSQL; SQLite serializes writers anyway).
        Offering.objects.select_for_update().filter(pk=offering.pk).first()
        draw = ParameterDraw.objects.filter(offering=offering, learner=learner).first()
        values = dict(draw.values) if draw else {}
        missing = [p for p in spec.parameters if p.name not in values]
        if missing:
            taken = (
                ParameterDraw.objects.filter(offering=offering)
                .exclude(learner=learner)
                .values_list("values", flat=True)
            )
            values.update(draw_balanced(missing, list(taken)))
            ParameterDraw.objects.update_or_create(offering=offering, learner=learner, defaults={"values": values})
    return values


# -- submissions -----------------------------------------------------------------------------


class SubmissionRefused(ValueError):
    """The learner's submission cannot be queued; the message says why, in their language."""


@dataclass(frozen=True)
class EditorFile:
    """A file as the lab page's editor sent it: its text, and whether the learner changed it
    from what the page put there (the starter file, or their last submission's)."""

    text: str
    edited: bool


@dataclass
class SentFiles:
    """One version of each file the learner sent, and the choices made between the editor and
    an upload of the same name, to tell the learner (file names)."""

    files: dict[str, bytes] = field(default_factory=dict)
    uploaded_over_editor: list[str] = field(default_factory=list)  # the editor was as served
    editor_over_upload: list[str] = field(default_factory=list)  # the editor was edited


def sent_files(*, editor: Mapping[str, EditorFile], uploads: Mapping[str, bytes]) -> SentFiles:
    """What a submission is made of, when the editor and the uploads (loose files and a .zip)
    both name a file. The rule, which the lab page states:
    - an editor the learner left as the page served it never replaces an uploaded file: what
      they chose to upload is used;
    - an edited editor replaces an uploaded file of the same name: the last thing they wrote
      is used, and they are told the upload's copy was ignored;
    - an editor left blank sends nothing (the upload's file or the starter file is used)."""
    sent = SentFiles(files=dict(uploads))
    for name, source in editor.items():
        if not source.text.strip():
            continue
        if name in uploads:
            if not source.edited:
                sent.uploaded_over_editor.append(name)
                continue
            sent.editor_over_upload.append(name)
        sent.files[name] = source.text.encode("utf-8")
    return sent


def _refuse_by_terms(offering: Offering, learner, now) -> Lateness:
    """Whether the learner may send work to the offering now (by their own dates, extension
    included), and how late it is; refused with the reason otherwise."""
    if offering.klass.is_archived:
        raise SubmissionRefused(_("This class is archived: its work can be read but no longer changed."))
    terms = learner_terms(offering=offering, learner_id=learner.pk)
    if not terms.has_opened(now):
        raise SubmissionRefused(
            _("This lab is not open yet (it opens on %(when)s).")
            % {"when": date_format(localtime(terms.opens_at), "DATETIME_FORMAT")}
        )
    if not terms.accepts_work(now):
        if terms.has_closed(now):
            message = _("This lab closed on %(when)s; it takes no more submissions.")
            when = terms.closes_at
        else:
            message = _("This lab was due on %(when)s and this class does not accept late work.")
            when = terms.due_at
        raise SubmissionRefused(message % {"when": date_format(localtime(when), "DATETIME_FORMAT")})
    return terms.lateness(now)


def submission_create(
    *, learner, offering: Offering, dockerfile: str, uploads: dict[str, bytes], lang: str, now=None
) -> Submission:
    """Validate what the learner sent, store it with how late it is, and queue its grading
    once committed."""
    lab = offering.lab
    assert lab is not None
    if not lab.is_active:
        raise SubmissionRefused(_("This lab is closed."))
    now = now or timezone.now()
    lateness = _refuse_by_terms(offering, learner, now)
    uploads = dict(uploads)
    if dockerfile.strip():
        uploads["Dockerfile"] = dockerfile.encode("utf-8")
    if "Dockerfile" not in uploads:
        raise SubmissionRefused(_("Write your Dockerfile in the editor or send a file named Dockerfile."))
    if len(uploads) > settings.SUBMISSION_MAX_FILES:
        raise SubmissionRefused(
            _("Too many files: %(count)d (at most %(max)d).")
            % {"count": len(uploads), "max": settings.SUBMISSION_MAX_FILES}
        )
    total = sum(len(data) for data in uploads.values())
    if total > settings.SUBMISSION_MAX_BYTES:
        raise SubmissionRefused(
            _("The files add up to %(size)d KB (at most %(max)d KB).")
            % {"size": total // 1024, "max": settings.SUBMISSION_MAX_BYTES // 1024}
        )
    try:
        dockerfile_text = uploads.pop("Dockerfile").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionRefused(_("The Dockerfile is not UTF-8 text.")) from exc
    if "\x00" in dockerfile_text:
        # Binary, not a Dockerfile; and PostgreSQL's text columns cannot hold a NUL.
        raise SubmissionRefused(_("The Dockerfile contains NUL bytes: send it as plain text."))
    spec = lab_spec(lab=lab)
    try:
        validate_files({**uploads, "Dockerfile": dockerfile_text.encode()}, limits=spec.limits)
    except ContextError as exc:
        raise SubmissionRefused(t(exc.message_id, lang, **exc.params)) from exc
    since = timezone.now() - timedelta(minutes=1)
    if Submission.objects.filter(learner=learner, created_at__gte=since).count() >= settings.SUBMISSIONS_PER_MINUTE:
        raise SubmissionRefused(_("You have submitted a lot in the last minute; wait a little and try again."))
    active = Submission.objects.filter(
        learner=learner, offering=offering, status__in=Submission.ACTIVE, regrading=False
    )
    if active.exists():
        raise SubmissionRefused(_("You already have a submission being graded for this lab; wait for its verdict."))
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                learner=learner,
                lab=lab,
                offering=offering,
                late_seconds=lateness.seconds,
                late_penalty=lateness.penalty,
                created_at=now,  # the moment its lateness was judged at
                dockerfile=dockerfile_text,
                files=encode_files(uploads),
                lang=lang,
                spec_hash=lab.spec_hash,
                parameters=parameter_values_for(learner=learner, offering=offering, spec=spec),
                queued_at=timezone.now(),
            )
    except IntegrityError as exc:  # a twin request won the race for the one active slot
        raise SubmissionRefused(
            _("You already have a submission being graded for this lab; wait for its verdict.")
        ) from exc
    _enqueue(submission.pk)
    return submission


def _enqueue(submission_id: int, *, countdown: int = 0) -> None:
    # By name, since labs.tasks imports this module; taken from the app's registry rather
    # than sent with app.send_task, which would bypass task_always_eager and a test's
    # stand-in for apply_async. labs/apps.py registers the task in every process.
    grade_submission = celery_app.tasks[GRADE_SUBMISSION_TASK]
    transaction.on_commit(lambda: grade_submission.apply_async((submission_id,), countdown=countdown))


_PHASE_STATUS = {"building": Status.BUILDING, "running": Status.RUNNING, "checking": Status.CHECKING}
_PHASE_FIELD = {Status.BUILDING: "building_at", Status.RUNNING: "running_at", Status.CHECKING: "checking_at"}


class RunSuperseded(Exception):
    """This grading run no longer owns its submission (the watchdog gave it to another run):
    it stops, and writes nothing more."""


def submission_claim(*, submission_id: int, worker_host: str) -> str | None:
    """Take a queued submission for grading: the run's token, or None when another worker
    has it or it is done. Every later write of the run is conditional on that token."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = Submission.objects.filter(pk=submission_id, status=Status.QUEUED).update(
        status=Status.BUILDING,
        building_at=now,
        running_at=None,
        checking_at=None,
        worker_host=worker_host[:200],
        run_token=token,
        heartbeat_at=now,
    )
    return token if claimed else None


def _owned(submission_id: int, token: str):
    """The submission, if this run still owns it and it is in flight."""
    return Submission.objects.filter(pk=submission_id, run_token=token, status__in=Submission.IN_PROGRESS)


class _Heartbeat:
    """Tells the watchdog this run is alive (GRADING_HEARTBEAT_SECONDS), and notices when it
    was superseded. Its own thread, with its own database connection."""

    def __init__(self, submission_id: int, token: str):
        self.submission_id, self.token = submission_id, token
        self.superseded = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{submission_id}", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.GRADING_HEARTBEAT_SECONDS):
                try:
                    if not _owned(self.submission_id, self.token).update(heartbeat_at=timezone.now()):
                        self.superseded.set()
                        return
                except Exception:  # a database hiccup: the next beat tries again
                    log.warning("heartbeat of submission %s not written", self.submission_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()


def submission_grade(*, submission_id: int, worker_host: str) -> str:
    """Grade a submission this worker claimed. Safe to call twice: only a claim grades, and
    only the run holding the claim's token writes."""
    from .grading_service import grade_files  # the sandbox is imported by workers only

    token = submission_claim(submission_id=submission_id, worker_host=worker_host)
    if token is None:
        return "not-claimed"
    submission = Submission.objects.select_related("lab").get(pk=submission_id)
    live = LiveLog(submission_id, owner=token)
    live.start()

    with _Heartbeat(submission_id, token) as heartbeat:

        def still_owner() -> None:
            if heartbeat.superseded.is_set():
                raise RunSuperseded()

        def on_phase(phase: str) -> None:
            still_owner()
            status = _PHASE_STATUS.get(phase)
            if status is not None and status != Status.BUILDING:
                if not _owned(submission_id, token).update(status=status, **{_PHASE_FIELD[status]: timezone.now()}):
                    raise RunSuperseded()

        def on_log(chunk: str) -> None:
            still_owner()
            live.append(chunk)

        try:
            version = submission_lab_version(submission=submission)
            result = grade_files(
                lab=version,
                given=submission_files_decoded(submission),
                lang=submission.lang,
                submission_id=f"sub-{submission_id}",
                on_log=on_log,
                on_phase=on_phase,
                run_token=token,
                slot_pool=True,
                parameters=submission.parameters if version.spec.parameterized else None,
            )
        except RunSuperseded:
            log.info("grading run %s of submission %s was superseded; it stopped", token[:8], submission_id)
            return "superseded"
        except Exception as exc:  # any crash here is the platform's, never the learner's
            log.exception("grading submission %s crashed", submission_id)
            return submission_platform_fault(
                submission_id=submission_id, detail=f"{type(exc).__name__}: {exc}", run_token=token
            )
    report = result.report
    if report.status == Verdict.ERROR:
        return submission_platform_fault(submission_id=submission_id, detail=report.error, run_token=token)
    with transaction.atomic():
        updated = _owned(submission_id, token).update(
            status=str(report.status),
            report=report.to_dict(),
            log=result.log[-LOG_CAP_CHARS:],
            score=report.score if report.gradable else None,
            max_score=report.max_score,
            counted=report.gradable,
            finished_at=timezone.now(),
            error_detail="",
            spec_hash=version.hash,
            regrading=False,
            regrade_backup=None,
        )
        if updated:
            # A first verdict or a regrade's: the learner's grade may have changed (an LMS hears of it).
            grade_changed_send(offering=submission.offering, learner_ids=[submission.learner_id])
    live.clear()
    return str(report.status) if updated else "superseded"


def submission_platform_fault(*, submission_id: int, detail: str, run_token: str | None = None) -> str:
    """Requeue after a platform fault (bounded), or end in 'error'; never counted as an attempt.

    `run_token`: the run this is about (the failing run's own, or the one the watchdog judged
    dead); when another run holds the submission by now, nothing is written."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if submission.status not in Submission.IN_PROGRESS:
            return "superseded"
        if run_token is not None and submission.run_token != run_token:
            return "superseded"
        submission.error_detail = detail[:4000]
        submission.run_token = ""
        if submission.retries < settings.GRADING_MAX_RETRIES:
            submission.retries += 1
            submission.status = Status.QUEUED
            submission.queued_at = timezone.now()
            submission.save(update_fields=["status", "retries", "error_detail", "queued_at", "run_token"])
            _enqueue(submission_id, countdown=min(120, 5 * 2**submission.retries))
            return "retrying"
        if submission.regrading and submission.regrade_backup:
            # The regrade could not be done: the verdict it was to replace stands, and the
            # instructor reads why in the error detail.
            backup = submission.regrade_backup
            submission.status = backup["status"]
            submission.report = backup["report"]
            submission.finished_at = parse_datetime(backup["finished_at"]) if backup["finished_at"] else timezone.now()
            submission.error_detail = f"regrade failed, earlier verdict kept: {detail}"[:4000]
        else:
            submission.status = Status.ERROR
            submission.counted = False
            submission.finished_at = timezone.now()
            submission.report = None
        submission.regrading = False
        submission.regrade_backup = None
        submission.save(
            update_fields=[
                "status",
                "error_detail",
                "counted",
                "finished_at",
                "report",
                "regrading",
                "regrade_backup",
                "run_token",
            ]
        )
        grade_changed_send(offering=submission.offering, learner_ids=[submission.learner_id])
        return "error"


def submission_regrade(*, submission: Submission) -> bool:
    """Grade a finished submission again (after a spec change); False if it is still in flight.
    A regrade does not take the learner's one active slot: they may submit meanwhile."""
    with transaction.atomic():
        current = Submission.objects.select_for_update().filter(pk=submission.pk, status__in=Submission.FINAL).first()
        if current is None:
            return False
        # The score and whether it counted stay as they are until the new verdict replaces
        # them, so the learner's best score does not dip while the regrade runs.
        backup = {
            "status": current.status,
            "report": current.report,
            "finished_at": current.finished_at.isoformat() if current.finished_at else None,
        }
        # A regrade follows the lab's current version (the reason to regrade is a spec change),
        # with the values the submission was graded with; a parameter that version added is
        # the learner's own draw of it.
        lab = Lab.objects.get(pk=current.lab_id)
        spec = lab_spec_or_none(lab=lab)
        drawn = parameter_values_for(learner=current.learner_id, offering=current.offering, spec=spec) if spec else {}
        parameters = {**drawn, **current.parameters}
        updated = Submission.objects.filter(pk=current.pk, status__in=Submission.FINAL).update(
            status=Status.QUEUED,
            queued_at=timezone.now(),
            retries=0,
            report=None,
            spec_hash=lab.spec_hash,
            parameters=parameters,
            finished_at=None,
            building_at=None,
            running_at=None,
            checking_at=None,
            error_detail="",
            regrading=True,
            regrade_backup=backup,
        )
        if updated:
            _enqueue(current.pk)
    return bool(updated)


REGRADE_LATEST, REGRADE_EVERY = "latest", "every"


def lab_regrade_all(*, offering: Offering, scope: str = REGRADE_LATEST) -> int:
    """Regrade the class's finished submissions to the lab, in parallel through the queue: each
    learner's latest (what a class needs after a spec change), or every one (so best scores
    from older submissions follow the new spec too; a long queue for a big class)."""
    finished = Submission.objects.filter(offering=offering, status__in=Submission.FINAL)
    if scope == REGRADE_EVERY:
        chosen = list(finished.only("id"))
    else:
        chosen, seen = [], set()
        for sub in (
            Submission.objects.filter(offering=offering)
            .order_by("learner_id", "-created_at")
            .only("id", "learner_id", "status")
        ):
            if sub.learner_id not in seen:
                seen.add(sub.learner_id)
                if sub.status in Submission.FINAL:
                    chosen.append(sub)
    return sum(submission_regrade(submission=sub) for sub in chosen)


def submissions_lateness_refresh(*, offering: Offering, learner_id: int) -> int:
    """Recompute how late each of the learner's submissions to the offering was, by their
    terms as they are now (after an extension is granted, changed or removed): the late
    penalty follows the learner's deadline, whenever it moved. How many changed."""
    extension = Extension.objects.filter(offering=offering, learner_id=learner_id).first()
    terms = terms_with(offering=offering, extension=extension)
    changed = 0
    for submission in Submission.objects.filter(offering=offering, learner_id=learner_id).only(
        "id", "created_at", "late_seconds", "late_penalty"
    ):
        lateness = terms.lateness(submission.created_at)
        if (lateness.seconds, lateness.penalty) != (submission.late_seconds, submission.late_penalty):
            Submission.objects.filter(pk=submission.pk).update(
                late_seconds=lateness.seconds, late_penalty=lateness.penalty
            )
            changed += 1
    if changed:
        grade_changed_send(offering=offering, learner_ids=[learner_id])
    return changed


def watchdog_run(
    *, now=None, alive_workers: set[str] | None = None, running: dict[str, set[int]] | None = None
) -> dict:
    """Requeue or fail submissions whose worker died, and resend queued ones nobody took (a
    lost message).

    A run is judged dead only on repeated evidence: its heartbeat is older than
    GRADING_WORKER_LOST_SECONDS (several beats missed) *and* its worker does not answer a
    ping, or answers but is not grading it (its pool process was killed, or the worker was
    restarted under the same name, as Compose restarts a container); or the work outlived
    the lab's limits by GRADING_STUCK_MARGIN_SECONDS. A slow worker that answers and still
    runs the grading keeps it. The requeue is conditional on the run's token, so a run that
    was just replaced, or that finished meanwhile, is left alone.

    `alive_workers`: the Celery node names answering a ping; `running`: what each answering
    node is grading (labs.worker.gradings_running); None when unknown."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    for submission in Submission.objects.filter(status__in=Submission.IN_PROGRESS).select_related("lab"):
        try:
            limits = submission_lab_version(submission=submission).spec.limits
        except LabVersionMissing:
            limits = None
        budget = (limits.build_seconds + limits.run_seconds if limits else 600) + settings.GRADING_STUCK_MARGIN_SECONDS
        started = submission.building_at or submission.queued_at or submission.created_at
        elapsed = (now - started).total_seconds() if started else 0
        beat = submission.heartbeat_at or started
        silent = (now - beat).total_seconds() if beat else 0
        host = submission.worker_host
        detail = ""
        if silent > settings.GRADING_WORKER_LOST_SECONDS:
            if alive_workers is not None and host not in alive_workers:
                detail = "worker lost: it stopped answering while grading"
            elif running is not None and host in running and submission.pk not in running[host]:
                detail = "worker lost the grading: it answers but no longer runs it"
        if not detail and elapsed > budget:
            detail = "stuck past the lab's time limits"
        if detail:
            outcome = submission_platform_fault(
                submission_id=submission.pk, detail=detail, run_token=submission.run_token
            )
            counts["requeued" if outcome == "retrying" else "failed"] += outcome in {"retrying", "error"}
    stale = now - timedelta(seconds=settings.GRADING_STUCK_MARGIN_SECONDS)
    for submission_id in Submission.objects.filter(status=Status.QUEUED, queued_at__lt=stale).values_list(
        "pk", flat=True
    ):
        _enqueue(submission_id)  # the claim makes a duplicate message harmless
        counts["resent"] += 1
    return counts
