import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any, TypedDict, cast

from django.db.models import Count, ExpressionWrapper, F, FloatField, Max, Q, QuerySet
from django.http import Http404

from classes.decorators import offering_for_viewer
from classes.models import Class, Offering
from classes.permissions import is_staff_of
from common.similarity import Ranking, SideBySide, rank_pairs, side_by_side

from .content import SpecVersion, decode_files
from .grading.similarity import DOCKERFILE, MAX_COMPARED_BYTES, file_lines, submission_shingles
from .grading.spec import LabSpec
from .models import Lab, LabVersion, ParameterDraw, Submission

Status = Submission.Status


class LabVersionMissing(LookupError):
    """The version a lab or a submission names is not stored (content never loaded)."""


# Versions validated in this process, by hash (a hash names one lab.yaml and its starter
# files, so a version never changes): most pages and gradings then validate nothing and
# query nothing. Bounded: a starter can hold a data file of a megabyte or two.
VERSION_CACHE_SIZE = 16
_versions: OrderedDict[str, SpecVersion] = OrderedDict()
_versions_lock = threading.Lock()


def lab_version(*, lab: Lab, spec_hash: str | None = None) -> SpecVersion:
    """A lab's validated spec and starter files: its current version, or the one `spec_hash`
    names (the version a submission was made for). The one way the site and the gradings
    read a lab's spec."""
    wanted = spec_hash or lab.spec_hash
    with _versions_lock:
        version = _versions.get(wanted)
        if version is not None:
            _versions.move_to_end(wanted)
            return version
    row = (
        LabVersion.objects.filter(lab=lab, spec_hash=wanted).values_list("spec", "starter_files").first()
        if wanted
        else None
    )
    if row is None:
        raise LabVersionMissing(
            f"lab {lab.slug} has no stored version {wanted[:12] or '(none)'}: run manage.py load_content"
        )
    spec, starter = row
    version = SpecVersion(hash=wanted, spec=LabSpec.model_validate(spec), starter_files=decode_files(starter))
    with _versions_lock:
        _versions[wanted] = version
        while len(_versions) > VERSION_CACHE_SIZE:
            _versions.popitem(last=False)
    return version


def lab_spec(*, lab: Lab) -> LabSpec:
    """The lab's current spec (see lab_version)."""
    return lab_version(lab=lab).spec


def submission_lab_version(*, submission: Submission) -> SpecVersion:
    """The version a submission is graded against: the one it was made for (a regrade
    moves it to the lab's current one). A submission older than the versions table,
    whose version was never stored, gets the lab's current one."""
    return lab_version_made_for(lab=submission.lab, spec_hash=submission.spec_hash)


def lab_version_made_for(*, lab: Lab, spec_hash: str) -> SpecVersion:
    """The version a submission of `lab` made for `spec_hash` is read against (see
    submission_lab_version), from the submission's lab and hash alone."""
    try:
        return lab_version(lab=lab, spec_hash=spec_hash or None)
    except LabVersionMissing:
        if not spec_hash or spec_hash == lab.spec_hash:
            raise
        return lab_version(lab=lab)


# A submission's score as it counts: the grading's, less its late penalty.
COUNTED_SCORE = ExpressionWrapper(F("score") * (1 - F("late_penalty")), output_field=FloatField())


@dataclass(frozen=True)
class LabProgress:
    offering: Offering
    spec: LabSpec | None  # None: the lab's content was never loaded
    attempts: int
    best_score: float | None
    passed: bool

    @property
    def lab(self) -> Lab:
        return self.offering.lab  # type: ignore[return-value]


def lab_offerings(*, klass: Class, user) -> list[Offering]:
    """The class's labs the user may see: visible ones, or all of them for its staff."""
    offerings = Offering.objects.filter(klass=klass, lab__isnull=False).select_related("lab", "klass")
    if not is_staff_of(user, klass):
        offerings = offerings.filter(is_visible=True, lab__is_active=True)
    return list(offerings)


def labs_progress(*, klass: Class, user) -> list[LabProgress]:
    """Each lab of the class with the user's progress in it (the class page)."""
    offerings = lab_offerings(klass=klass, user=user)
    stats: dict[int, Mapping[str, Any]] = {}
    if user.is_authenticated:
        rows = (
            Submission.objects.filter(learner=user, counted=True, offering__in=offerings)
            .values("offering_id")
            .annotate(attempts=Count("id"), best=Max(COUNTED_SCORE), passes=Count("id", filter=Q(status=Status.PASSED)))
        )
        stats = {row["offering_id"]: row for row in rows}
    return [
        LabProgress(
            offering=offering,
            spec=lab_spec_or_none(lab=offering.lab),  # type: ignore[arg-type]
            attempts=stats.get(offering.pk, {}).get("attempts", 0),
            best_score=stats.get(offering.pk, {}).get("best"),
            passed=bool(stats.get(offering.pk, {}).get("passes")),
        )
        for offering in offerings
    ]


def lab_spec_or_none(*, lab: Lab) -> LabSpec | None:
    """The lab's current spec, or None when its content was never loaded (pages that can
    do without it: lists, titles)."""
    try:
        return lab_spec(lab=lab)
    except LabVersionMissing:
        return None


def lab_offering_get(*, class_id: int, slug: str, user) -> Offering:
    """The lab `slug` as class `class_id` offers it, for a member of that class (see
    classes.decorators.offering_for_viewer)."""
    return offering_for_viewer(class_id=class_id, user=user, lab__slug=slug)


# What a listing or the status poll never shows: the upload (up to SUBMISSION_MAX_BYTES), the
# Dockerfile, the report and the stored log, and the verdict a regrade keeps aside.
HEAVY_FIELDS = ("files", "dockerfile", "report", "log", "regrade_backup", "error_detail")


def learner_submissions(*, user, offering: Offering | int) -> QuerySet[Submission]:
    return Submission.objects.filter(learner=user, offering=offering).defer(*HEAVY_FIELDS)


def best_score(*, user, offering: Offering | int) -> float | None:
    """The learner's grade in the offering, late penalties applied: their best counted score,
    or their latest one when the class says so (lab_grade_submissions decides)."""
    if not isinstance(offering, Offering):
        offering = Offering.objects.select_related("klass").get(pk=offering)
    if offering.klass.lab_score_rule == Class.LabScoreRule.LATEST:
        learner_id = user if isinstance(user, int) else user.pk
        chosen = lab_grade_submissions(offerings=[offering], learner_ids=[learner_id]).get((learner_id, offering.pk))
        return chosen.counted_score if chosen is not None else None
    found = Submission.objects.filter(learner=user, offering=offering, counted=True).aggregate(best=Max(COUNTED_SCORE))
    return found["best"]


def lab_grade_submissions(
    *, offerings: Iterable[Offering], learner_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Submission]:
    """{(learner id, offering id): the counted submission that is the learner's grade}: the
    one with the best counted score (the earliest of equals) or the latest one, as the
    offering's class says (Class.lab_score_rule). The one function that decides: gradebooks,
    score exports and the grade sent to an LMS all read it."""
    offerings = list(offerings)
    latest = {o.pk for o in offerings if o.klass.lab_score_rule == Class.LabScoreRule.LATEST}
    chosen: dict[tuple[int, int], Submission] = {}
    rows = Submission.objects.filter(offering__in=offerings, counted=True, score__isnull=False)
    if learner_ids is not None:
        rows = rows.filter(learner_id__in=list(learner_ids))
    rows = rows.only(
        "id", "learner_id", "offering_id", "score", "max_score", "late_penalty", "late_seconds", "created_at"
    ).order_by("created_at", "id")
    for submission in rows:
        key = (submission.learner_id, submission.offering_id)
        held = chosen.get(key)
        if (
            held is None
            or submission.offering_id in latest
            or (submission.counted_score or 0) > (held.counted_score or 0)
        ):
            chosen[key] = submission
    return chosen


def submission_files_decoded(submission: Submission) -> dict[str, bytes]:
    """The files a submission sent, its Dockerfile among them: path -> bytes."""
    files = decode_files(submission.files)
    files["Dockerfile"] = submission.dockerfile.encode("utf-8")
    return files


def _may_view(submission: Submission, user) -> bool:
    return submission.learner_id == user.pk or is_staff_of(user, submission.offering.klass)


def submission_for_viewer(*, submission_id: int, user) -> Submission:
    """The learner who sent it, or a teacher or assistant of its class; anyone else gets 404
    (not even a hint it exists)."""
    submission = (
        Submission.objects.select_related("lab", "learner", "offering", "offering__klass")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not _may_view(submission, user):
        raise Http404
    return submission


def submission_status_for_viewer(*, submission_id: int, user) -> Submission:
    """The status poll's read, once a second per waiting learner: the state columns only.

    While the work runs the page shows the phase, the queue position and the live log (from
    Redis), so the heavy columns stay in the database; the verdict adds the report and the
    stored log, read then in one more query. Same 404 as submission_for_viewer for anyone else."""
    submission = (
        Submission.objects.select_related("lab", "offering", "offering__klass")
        .defer(*HEAVY_FIELDS)
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not _may_view(submission, user):
        raise Http404
    if not submission.is_active:
        submission.refresh_from_db(fields=["report", "log"])
    return submission


def queue_position(*, submission: Submission) -> int:
    """1 for the next one to be taken."""
    if submission.status != Status.QUEUED:
        return 0
    return Submission.objects.filter(status=Status.QUEUED, queued_at__lt=submission.queued_at).count() + 1


def typical_grading_seconds(*, lab: Lab, sample: int = 20) -> float:
    # Both columns are filtered non-null, which the row type of values_list cannot say.
    rows = cast(
        "Iterable[tuple[datetime, datetime]]",
        Submission.objects.filter(lab=lab, finished_at__isnull=False, building_at__isnull=False)
        .order_by("-finished_at")
        .values_list("building_at", "finished_at")[:sample],
    )
    durations = [(finished - started).total_seconds() for started, finished in rows]
    return median(durations) if durations else 30.0


def lab_submissions_for_instructor(
    *, offering: Offering, learner: str = "", status: str = "", since=None, until=None
) -> QuerySet[Submission]:
    qs = Submission.objects.filter(offering=offering).select_related("learner").defer("log", "files")
    if learner:
        qs = qs.filter(Q(learner__username__icontains=learner) | Q(learner__first_name__icontains=learner))
    if status:
        qs = qs.filter(status=status)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


@dataclass(frozen=True)
class CheckStat:
    id: str
    title: str
    attempts: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.attempts if self.attempts else 0.0


def lab_check_stats(*, offering: Offering) -> list[CheckStat]:
    """Per check, how many of the class's graded submissions passed it: the checks learners
    fail most come first."""
    totals: dict[str, list] = {}
    for report in Submission.objects.filter(offering=offering, counted=True).values_list("report", flat=True):
        for check in (report or {}).get("checks", []):
            entry = totals.setdefault(check["id"], [check.get("title", check["id"]), 0, 0])
            entry[1] += 1
            entry[2] += check.get("status") == "passed"
    stats = [CheckStat(id=cid, title=title, attempts=n, passed=p) for cid, (title, n, p) in totals.items()]
    return sorted(stats, key=lambda s: (s.pass_rate, s.id))


class BestScoreRow(TypedDict):
    """One learner's line of a lab's scores (lab_best_scores)."""

    learner__username: str
    learner__first_name: str
    learner__last_name: str
    best: float | None
    attempts: int
    passes: int
    last: datetime


def lab_best_scores(*, offering: Offering) -> list[BestScoreRow]:
    """Per learner of the class: the grade (late penalties applied) under the class's rule,
    best or latest (lab_grade_submissions), and their attempts."""
    rows = cast(
        list[dict[str, Any]],
        list(
            Submission.objects.filter(offering=offering, counted=True)
            .values("learner_id", "learner__username", "learner__first_name", "learner__last_name")
            .annotate(
                attempts=Count("id"),
                passes=Count("id", filter=Q(status=Status.PASSED)),
                last=Max("created_at"),
            )
            .order_by("learner__username")
        ),
    )
    grades = lab_grade_submissions(offerings=[offering])
    for row in rows:
        chosen = grades.get((row.pop("learner_id"), offering.pk))
        row["best"] = chosen.counted_score if chosen is not None else None
    return cast(list[BestScoreRow], rows)


# -- similarity (a hint for the teacher; it reads, it never grades) ---------------------------

SIMILAR_PAIRS_SHOWN = 20


@dataclass(frozen=True)
class SimilarSubmissions:
    first: Submission
    second: Submission
    score: float  # 0..1

    @property
    def percent(self) -> int:
        return round(100 * self.score)


@dataclass(frozen=True)
class LabSimilarity:
    pairs: list[SimilarSubmissions]  # the most alike first
    learners: int  # learners with a submission that counts for the gradebook
    compared: int  # of them, those who sent something beyond the starter and the class's common ground
    ranking: Ranking[int]  # by submission id


def _compared_shingles(submission: Submission, starters: dict[str, Mapping[str, bytes]]) -> frozenset[str]:
    lab = submission.lab
    if submission.spec_hash not in starters:
        try:
            starters[submission.spec_hash] = lab_version_made_for(lab=lab, spec_hash=submission.spec_hash).starter_files
        except LabVersionMissing:
            starters[submission.spec_hash] = {}
    return submission_shingles(submission_files_decoded(submission), starter=starters[submission.spec_hash])


def lab_similarity(*, offering: Offering, limit: int = SIMILAR_PAIRS_SHOWN) -> LabSimilarity:
    """The class's most alike pairs of learners' work in a lab, compared by what counts for the
    gradebook: each learner's submission that is their grade (lab_grade_submissions, the
    class's rule), less the lab's starter files and what most of the class wrote alike."""
    lab = offering.lab
    assert lab is not None
    chosen = sorted(submission.pk for submission in lab_grade_submissions(offerings=[offering]).values())
    starters: dict[str, Mapping[str, bytes]] = {}
    documents: dict[int, frozenset[str]] = {}
    # A chunk at a time: a submission's files may weigh megabytes, and only their shingles are kept.
    rows = Submission.objects.filter(pk__in=chosen).only("id", "dockerfile", "files", "spec_hash").order_by("pk")
    for submission in rows.iterator(chunk_size=20):
        submission.lab = lab
        documents[submission.pk] = _compared_shingles(submission, starters)
    ranking = rank_pairs(documents, limit=limit)
    shown = Submission.objects.filter(pk__in={p.first for p in ranking.pairs} | {p.second for p in ranking.pairs})
    by_id = {s.pk: s for s in shown.select_related("learner").defer(*HEAVY_FIELDS)}
    pairs = [SimilarSubmissions(by_id[p.first], by_id[p.second], p.score) for p in ranking.pairs]
    return LabSimilarity(pairs=pairs, learners=len(chosen), compared=ranking.compared, ranking=ranking)


@dataclass(frozen=True)
class SubmissionsCompared:
    first: Submission
    second: Submission
    score: float
    files: list[tuple[str, SideBySide | None]]  # per file name: the two sides (None: a binary file)

    @property
    def percent(self) -> int:
        return round(100 * self.score)


def lab_similarity_pair(
    *, offering: Offering, first_id: int, second_id: int, normalised: bool = True
) -> SubmissionsCompared | None:
    """Two submissions of the offering side by side, file by file, with their score as the
    class's list counts it; None unless both are submissions of this offering."""
    found = {
        s.pk: s
        for s in Submission.objects.filter(offering=offering, pk__in=[first_id, second_id]).select_related(
            "learner", "lab", "offering"
        )
    }
    if first_id == second_id or len(found) != 2:
        return None
    first, second = found[first_id], found[second_id]
    ranking = lab_similarity(offering=offering, limit=0).ranking
    starters: dict[str, Mapping[str, bytes]] = {}
    score = ranking.score(_compared_shingles(first, starters), _compared_shingles(second, starters))
    left, right = submission_files_decoded(first), submission_files_decoded(second)
    names = [DOCKERFILE, *sorted((set(left) | set(right)) - {DOCKERFILE})]
    return SubmissionsCompared(
        first=first,
        second=second,
        score=score,
        files=[(name, _file_sides(name, left.get(name, b""), right.get(name, b""), normalised)) for name in names],
    )


def _file_sides(name: str, left: bytes, right: bytes, normalised: bool) -> SideBySide | None:
    if normalised:
        left_lines, right_lines = file_lines(name, left), file_lines(name, right)
        if left_lines is None or right_lines is None:
            return None
        return side_by_side(left_lines, right_lines)
    left_text, right_text = _shown_text(left), _shown_text(right)
    if left_text is None or right_text is None:
        return None
    # The lines as sent, matched by their compared form (spacing collapsed).
    left_raw, right_raw = left_text.splitlines(), right_text.splitlines()
    return side_by_side(
        left_raw,
        right_raw,
        left_keys=[" ".join(x.split()) for x in left_raw],
        right_keys=[" ".join(x.split()) for x in right_raw],
    )


def _shown_text(data: bytes) -> str | None:
    if file_lines("", data) is None:  # binary
        return None
    return data[:MAX_COMPARED_BYTES].decode("utf-8", "replace")


def parameter_draws(*, offering: Offering) -> dict[str, dict[str, Any]]:
    """{username: the values of the lab's parameters drawn for them} in one class."""
    rows = ParameterDraw.objects.filter(offering=offering).values_list("learner__username", "values")
    return {username: values for username, values in rows}
