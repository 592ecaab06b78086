import html
import io
import re
import zipfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classes.deadlines import learner_terms
from classes.decorators import class_permission_denied, class_required
from classes.models import Class, Offering
from classes.permissions import Action, can, is_staff_of
from classes.services import class_event_log
from common.i18n import normalize_lang
from core.exports import Format, table_response
from core.query import int_param
from core.uploads import give_refusal_page

from . import selectors
from .content import SpecVersion
from .forms import EDITOR_FILES, SubmissionFilterForm, SubmissionForm
from .grading.i18n import t
from .grading.spec import LabSpec, localize
from .livelog import live_log_since
from .models import Lab, Submission
from .sandbox.context import ContextError, extract_zip
from .services import (
    REGRADE_EVERY,
    REGRADE_LATEST,
    SubmissionRefused,
    lab_regrade_all,
    parameter_values_for,
    sent_files,
    submission_create,
    submission_files_decoded,
    submission_regrade,
)
from .verdicts import check_stats_for_reader, submission_report_for_reader

LOG_VIEW_CHARS = 64_000
FILE_FIELDS = {"files", "archive"}  # the form's uploads: not kept when the page is shown again
# The most of a live log one poll sends: the tail on a first view, or what was added since the
# previous poll (a reader further behind than this jumps to the tail).
LOG_VIEW_BYTES = 64_000


def _version(lab: Lab) -> SpecVersion:
    """The lab's current spec and starter files; a lab whose content was never loaded is not there."""
    try:
        return selectors.lab_version(lab=lab)
    except selectors.LabVersionMissing as exc:
        raise Http404 from exc


def parameter_rows(spec: LabSpec | None, values: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The values of a lab's parameters as a page lists them: label, description, value (a
    value the lab no longer declares is listed by its name)."""
    declared = {p.name: p for p in spec.parameters} if spec else {}
    rows = []
    for name, value in values.items():
        parameter = declared.get(name)
        rows.append(
            {
                "name": name,
                "label": localize(parameter.label, lang) if parameter else name,
                "description": localize(parameter.description, lang) if parameter else "",
                "value": value,
            }
        )
    return rows


def _lab_context(request, offering: Offering, form: SubmissionForm) -> dict:
    lab = offering.lab
    assert lab is not None
    version = _version(lab)
    spec, starter = version.spec, version.starter_files
    lang = normalize_lang(get_language())
    parameters: list[dict[str, Any]] = []
    if spec.parameterized:
        if is_staff_of(request.user, offering.klass):
            # A teacher reads the lab as written: each placeholder shows its parameter's label.
            parameters = [
                {"label": localize(p.label, lang), "description": localize(p.description, lang), "value": p.value_set()}
                for p in spec.parameters
            ]
        else:
            values = parameter_values_for(learner=request.user, offering=offering, spec=spec)
            spec = spec.resolve(values)
            parameters = parameter_rows(spec, values, lang)
    terms = learner_terms(offering=offering, learner_id=request.user.pk)
    now = timezone.now()
    return {
        "klass": offering.klass,
        "offering": offering,
        "terms": terms,
        "now": now,
        "accepts_now": terms.accepts_work(now),
        "may_submit": can(request.user, offering.klass, Action.TAKE),
        "lab": lab,
        "spec": spec,
        "title": localize(spec.title, lang),
        "instructions": localize(spec.instructions, lang),
        "checks": [
            {
                "id": c.id,
                "title": localize(c.title, lang),
                "points": c.points,
                "required": c.required,
                "bonus": c.bonus,
                "kind": c.kind,
            }
            for c in spec.checks
        ],
        "starter_names": sorted(starter),
        "parameters": parameters,
        "parameters_are_yours": spec.values is not None,
        "form": form,
        "history": selectors.learner_submissions(user=request.user, offering=offering)[:20],
        "best": selectors.best_score(user=request.user, offering=offering),
        "grade_is_latest": offering.klass.lab_score_rule == Class.LabScoreRule.LATEST,
    }


@login_required
@require_GET
def lab_detail(request, class_id, slug):
    offering = selectors.lab_offering_get(class_id=class_id, slug=slug, user=request.user)
    # Each editor starts from the learner's last submission, else the starter file: nothing
    # typed is lost.
    last = selectors.learner_submissions(user=request.user, offering=offering).only("dockerfile", "files").first()
    sources = submission_files_decoded(last) if last else _version(offering.lab).starter_files  # type: ignore[arg-type]
    texts = {name: data.decode("utf-8", "replace") for name, data in sources.items() if name in EDITOR_FILES.values()}
    form = SubmissionForm(initial=SubmissionForm.initial_for(texts))
    return render(request, "labs/lab_detail.html", _lab_context(request, offering, form))


@login_required
@require_POST
def submission_new(request, class_id, slug):
    offering = selectors.lab_offering_get(class_id=class_id, slug=slug, user=request.user)
    if not can(request.user, offering.klass, Action.TAKE):
        # The page says so above its form; a submission sent anyway (an assistant's) is not stored.
        if offering.klass.is_archived:
            messages.error(request, _("This class is archived: its work can be read but no longer changed."))
        else:
            messages.error(request, _("Only the class's learners submit to its labs."))
        return redirect("labs:detail", class_id=offering.klass_id, slug=offering.slug)
    lab = offering.lab
    assert lab is not None
    form = SubmissionForm(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", None)  # core.uploads stopped the upload midway
    if refused:
        return _submission_too_large(request, refused, class_id=class_id, slug=slug)
    if form.is_valid():
        lang = normalize_lang(get_language())
        version = _version(lab)
        try:
            uploads = {}
            if form.cleaned_data["archive"]:
                uploads.update(extract_zip(form.cleaned_data["archive"].read(), limits=version.spec.limits))
            for upload in form.cleaned_data["files"]:
                uploads[upload.name.rsplit("/", 1)[-1]] = upload.read()
            sent = sent_files(editor=form.editor_files(starter=version.starter_files), uploads=uploads)
            submission = submission_create(
                learner=request.user, offering=offering, dockerfile="", uploads=sent.files, lang=lang
            )
        except ContextError as exc:
            form.add_error(None, t(exc.message_id, lang, **exc.params))
        except SubmissionRefused as exc:
            form.add_error(None, str(exc))
        else:
            for name in sent.uploaded_over_editor:
                messages.info(
                    request,
                    _(
                        "%(name)s: the file you uploaded was used (the editor still held the text the page started with)."
                    )
                    % {"name": name},
                )
            for name in sent.editor_over_upload:
                messages.info(
                    request,
                    _("%(name)s: the text in the editor was used; the file of that name you uploaded was ignored.")
                    % {"name": name},
                )
            return redirect("labs:submission", pk=submission.pk)
    return render(request, "labs/lab_detail.html", _lab_context(request, offering, form), status=400)


def _submission_too_large(request, message: str, *, class_id: int, slug: str, status: int = 413):
    """The lab page again, saying why the upload was refused; what the learner typed is kept
    when it was received (not when the body was refused unread)."""
    if not request.user.is_authenticated:
        return render(request, "core/refused.html", {"message": message}, status=status)
    offering = selectors.lab_offering_get(class_id=class_id, slug=slug, user=request.user)
    received = request.POST if hasattr(request, "_post") else {}
    form = SubmissionForm(
        {name: received.get(name, "") for name in SubmissionForm.base_fields if name not in FILE_FIELDS}
    )
    form.is_valid()
    form.add_error(None, message)
    return render(request, "labs/lab_detail.html", _lab_context(request, offering, form), status=status)


give_refusal_page(submission_new, _submission_too_large)


@login_required
@require_GET
def starter_zip(request, class_id, slug):
    lab = selectors.lab_offering_get(class_id=class_id, slug=slug, user=request.user).lab
    assert lab is not None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(_version(lab).starter_files.items()):
            archive.writestr(f"{lab.slug}/{name}", data)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{lab.slug}.zip"'
    return response


@login_required
@require_GET
def starter_file(request, class_id, slug, path):
    offering = selectors.lab_offering_get(class_id=class_id, slug=slug, user=request.user)
    lab = offering.lab
    assert lab is not None
    version = _version(lab)
    if path not in version.starter_files:
        raise Http404
    data = version.starter_files[path]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return render(
        request,
        "labs/starter_file.html",
        {"klass": offering.klass, "lab": lab, "spec": version.spec, "path": path, "text": text, "size": len(data)},
    )


ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _log_html(text: str, failing_step: str) -> SafeString:
    """The log as escaped lines, the failing step and error lines marked for highlighting.

    Built here rather than in a template loop: a log has thousands of lines and the page
    is polled every second while it grows; the template engine took ~20 ms for 2,600."""
    failing_prefix = failing_step.strip()[:60] if failing_step else ""
    out = []
    for line in ANSI_ESCAPES.sub("", text).splitlines():
        if failing_prefix and line.strip().startswith(failing_prefix):
            css = "log-failing"
        elif line.startswith(("ERROR", "error:", "E: ")) or "returned a non-zero code" in line:
            css = "log-error"
        else:
            css = ""
        out.append(f'<span class="{css}">{html.escape(line)}</span>\n')
    return mark_safe("".join(out))  # noqa: S308 — every line escaped just above


def _log_epoch(submission: Submission) -> str:
    """Which build the live log belongs to: a retry or a regrade claims the submission again
    (a new building_at) and starts the log anew."""
    return str(int(submission.building_at.timestamp() * 1000)) if submission.building_at else "0"


def _submission_context(submission: Submission, *, log_from: int | None = None, log_epoch: str = "") -> dict:
    """Everything the submission page shows. While the work runs, the page polls with the
    byte offset its log has reached (`log_from`) and the build it belongs to (`log_epoch`),
    and gets only the lines added since, to append: its scroll position and any selection in
    the log survive, and a poll sends kilobytes, not the whole log. Anything else (a first
    view, another build, the verdict) replaces the log as a whole."""
    # A report belongs to a verdict: while the work runs (a retry, a regrade) there is none to show.
    # In the reader's language, whichever the learner submitted in.
    report = (
        {}
        if submission.is_active
        else submission_report_for_reader(submission=submission, lang=normalize_lang(get_language()))
    )
    epoch = _log_epoch(submission)
    append = log_from is not None and log_epoch == epoch
    log_end, log_skipped = 0, False
    if submission.is_active:
        piece = live_log_since(submission.pk, offset=log_from if append else None, max_bytes=LOG_VIEW_BYTES)
        if piece is None:  # Redis did not answer: keep what the page shows and ask again
            text, log_end = "", log_from or 0
        else:
            text, log_end, log_skipped = piece.text, piece.end, piece.skipped
            append = append and not piece.restart
        log_html = _log_html(text, "")
    else:
        append = False
        log_html = _log_html(submission.log[-LOG_VIEW_CHARS:], report.get("failing_step", ""))
        log_skipped = len(submission.log) > LOG_VIEW_CHARS
    context: dict[str, Any] = {
        "submission": submission,
        "report": report,
        "log_html": log_html,
        "log_append": append,
        "log_cut": log_skipped,
        "log_end": log_end,
        "log_epoch": epoch,
        "position": selectors.queue_position(submission=submission),
    }
    if context["position"]:
        context["estimate_seconds"] = int(context["position"] * selectors.typical_grading_seconds(lab=submission.lab))
    if submission.is_active and submission.building_at:
        context["elapsed"] = int((timezone.now() - submission.building_at).total_seconds())
    return context


def _submitted_files(submission: Submission) -> list[dict[str, Any]]:
    """The files the learner sent, the Dockerfile first: a text file as its lines, each with an
    anchor (`dockerfile-L3` for the Dockerfile, which a check naming a line links to), a binary
    file by its name and size."""
    files = submission_files_decoded(submission)
    names = ["Dockerfile", *sorted(name for name in files if name != "Dockerfile")]
    shown = []
    for index, name in enumerate(names):
        data = files[name]
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" in text:
            text = None
        shown.append(
            {
                "name": name,
                "anchor": "dockerfile" if name == "Dockerfile" else f"file-{index}",
                "size": len(data),
                "lines": text.splitlines() if text is not None else None,
            }
        )
    return shown


def _history_context(submission: Submission) -> dict:
    return {
        "history": selectors.learner_submissions(user=submission.learner_id, offering=submission.offering_id)[:20],
        "best": selectors.best_score(user=submission.learner_id, offering=submission.offering),
        "grade_is_latest": submission.offering.klass.lab_score_rule == Class.LabScoreRule.LATEST,
    }


def _offset(value: str | None) -> int | None:
    return int_param(value, minimum=0, maximum=2**53)


@login_required
@require_GET
def submission_detail(request, pk):
    if request.htmx:
        submission = selectors.submission_status_for_viewer(submission_id=pk, user=request.user)
        context = _submission_context(
            submission, log_from=_offset(request.GET.get("log_from")), log_epoch=request.GET.get("log_epoch", "")
        )
        if not submission.is_active:
            context |= _history_context(submission)  # the verdict changes the history and the best score
        return render(request, "labs/submission_detail.html#poll", context)
    submission = selectors.submission_for_viewer(submission_id=pk, user=request.user)
    context = _submission_context(submission) | _history_context(submission)
    context["spec"] = selectors.lab_spec_or_none(lab=submission.lab)  # for the lab's title in the learner's language
    context["parameter_values"] = parameter_rows(context["spec"], submission.parameters, normalize_lang(get_language()))
    context["submitted_files"] = _submitted_files(submission)
    klass = submission.offering.klass
    context["klass"] = klass
    context["staff_view"] = submission.learner_id != request.user.pk or can(request.user, klass, Action.SEE_WORK)
    context["may_regrade"] = can(request.user, klass, Action.REGRADE)
    return render(request, "labs/submission_detail.html", context)


# -- instructors ---------------------------------------------------------------------------


def _lab_offering(klass: Class, slug: str) -> Offering:
    return get_object_or_404(Offering.objects.select_related("lab", "klass"), klass_id=klass.pk, lab__slug=slug)


@class_required(Action.SEE_WORK)
@require_GET
def lab_submissions(request, klass: Class, slug):
    offering = _lab_offering(klass, slug)
    lab = offering.lab
    assert lab is not None
    form = SubmissionFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    submissions = selectors.lab_submissions_for_instructor(offering=offering, **filters)
    page = Paginator(submissions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "labs/lab_submissions.html",
        {
            "klass": klass,
            "offering": offering,
            "lab": lab,
            "spec": selectors.lab_spec_or_none(lab=lab),
            "form": form,
            "page": page,
            "stats": check_stats_for_reader(offering=offering, lang=normalize_lang(get_language())),
            "finished_count": Submission.objects.filter(offering=offering, status__in=Submission.FINAL).count(),
            "query": _without_page(request.GET),
            "may_regrade": can(request.user, klass, Action.REGRADE),
            "may_export": can(request.user, klass, Action.EXPORT),
        },
    )


def _without_page(query) -> str:
    """The filters of this listing, for its page links (which add their own page=)."""
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_POST
def submission_regrade_view(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("offering__klass"), pk=pk)
    if not can(request.user, submission.offering.klass, Action.REGRADE):
        raise class_permission_denied(request.user, submission.offering.klass)
    if submission_regrade(submission=submission):
        messages.success(request, _("Submission #%(id)d queued for regrading.") % {"id": submission.pk})
    else:
        messages.error(request, _("Submission #%(id)d is still being graded.") % {"id": submission.pk})
    return redirect("labs:submission", pk=submission.pk)


@class_required(Action.REGRADE)
@require_POST
def lab_regrade_all_view(request, klass: Class, slug):
    offering = _lab_offering(klass, slug)
    scope = REGRADE_EVERY if request.POST.get("scope") == REGRADE_EVERY else REGRADE_LATEST
    count = lab_regrade_all(offering=offering, scope=scope)
    class_event_log(
        klass=klass, actor=request.user, action="regrade", detail={"lab": offering.slug, "scope": scope, "count": count}
    )
    messages.success(request, _("%(count)d submission(s) queued for regrading.") % {"count": count})
    return redirect("labs:submissions", class_id=klass.pk, slug=offering.slug)


@class_required(Action.EXPORT)
@require_http_methods(["GET"])
def lab_scores_csv(request, klass: Class, slug, fmt: Format = "csv"):
    offering = _lab_offering(klass, slug)
    lab = offering.lab
    assert lab is not None
    spec = selectors.lab_spec_or_none(lab=lab)
    max_score = spec.max_score if spec else None
    # The score column says which submission it is: the class's rule (best or latest).
    score_column = "latest_score" if klass.lab_score_rule == Class.LabScoreRule.LATEST else "best_score"
    header = ["username", "name", score_column, "max_score", "attempts", "passed", "last_submission"]
    # The values drawn for each learner, one column per parameter (param_port, ...).
    names = [p.name for p in spec.parameters] if spec else []
    draws = selectors.parameter_draws(offering=offering) if names else {}
    header += [f"param_{name}" for name in names]
    rows = [
        [
            row["learner__username"],
            f"{row['learner__first_name']} {row['learner__last_name']}".strip(),
            row["best"],
            max_score,
            row["attempts"],
            "yes" if row["passes"] else "no",
            row["last"],  # in the site's time zone, as the pages show it
            *(draws.get(row["learner__username"], {}).get(name, "") for name in names),
        ]
        for row in selectors.lab_best_scores(offering=offering)
    ]
    return table_response(stem=f"{lab.slug}-notas", header=header, rows=rows, fmt=fmt)


@class_required(Action.SEE_WORK)
@require_GET
def lab_similarity(request, klass: Class, slug):
    """The class's most alike pairs of work in a lab: a hint for the teacher, never a grade."""
    offering = _lab_offering(klass, slug)
    return render(
        request,
        "labs/similarity.html",
        {
            "klass": klass,
            "offering": offering,
            "lab": offering.lab,
            "spec": selectors.lab_spec_or_none(lab=offering.lab),  # type: ignore[arg-type]
            "report": selectors.lab_similarity(offering=offering),
            "grade_is_latest": klass.lab_score_rule == Class.LabScoreRule.LATEST,
        },
    )


@class_required(Action.SEE_WORK)
@require_GET
def lab_similarity_pair(request, klass: Class, slug):
    """Two submissions of the lab side by side (?a=<id>&b=<id>), as compared or as sent."""
    offering = _lab_offering(klass, slug)
    first = int_param(request.GET.get("a"), minimum=1)
    second = int_param(request.GET.get("b"), minimum=1)
    if first is None or second is None:
        messages.info(request, _("Choose a pair in the list to see the two side by side."))
        return redirect("labs:similarity", class_id=klass.pk, slug=offering.slug)
    original = request.GET.get("view") == "original"
    compared = selectors.lab_similarity_pair(
        offering=offering, first_id=first, second_id=second, normalised=not original
    )
    if compared is None:
        raise Http404
    return render(
        request,
        "labs/similarity_pair.html",
        {
            "klass": klass,
            "offering": offering,
            "lab": offering.lab,
            "spec": selectors.lab_spec_or_none(lab=offering.lab),  # type: ignore[arg-type]
            "compared": compared,
            "original": original,
        },
    )
