from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Lab(models.Model):
    """A practice lab, synced from content/labs/<slug>/lab.yaml. Its spec lives in the
    LabVersion that spec_hash names (labs.selectors.lab_version reads it)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    # The current version: what a new submission is made for.
    spec_hash = models.CharField(_("spec hash"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    def __str__(self) -> str:
        return self.title


class LabVersion(models.Model):
    """One version of a lab's content, named by the hash of lab.yaml and the starter files:
    the spec as validated when loaded, and the starter files (what a learner does not send
    comes from them). Kept while submissions name it, so each is graded against the
    version it was made for."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="versions", verbose_name=_("lab"))
    spec_hash = models.CharField(_("spec hash"), max_length=64)
    # The validated lab.yaml (texts in both languages, checks, limits).
    spec = models.JSONField(_("spec"))
    # path -> base64 of the file's bytes.
    starter_files = models.JSONField(_("starter files"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lab", "-created_at"]
        verbose_name = _("lab version")
        verbose_name_plural = _("lab versions")
        constraints = [models.UniqueConstraint(fields=["lab", "spec_hash"], name="one_version_per_lab_and_hash")]

    def __str__(self) -> str:
        return f"{self.lab.slug} @ {self.spec_hash[:12]}"


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    BUILDING = "building", _("building")
    RUNNING = "running", _("running")
    CHECKING = "checking", _("checking")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")
    REJECTED = "rejected", _("rejected")
    ERROR = "error", _("platform error")


class Submission(models.Model):
    """One learner's Dockerfile (and files) for a lab, and what grading made of it."""

    Status = SubmissionStatus

    ACTIVE = (Status.QUEUED, Status.BUILDING, Status.RUNNING, Status.CHECKING)
    IN_PROGRESS = (Status.BUILDING, Status.RUNNING, Status.CHECKING)
    FINAL = (Status.PASSED, Status.FAILED, Status.REJECTED, Status.ERROR)

    learner = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="submissions", verbose_name=_("learner")
    )
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("lab"))
    # The lab in one class: its due date and late policy, and whose lists show this submission.
    offering = models.ForeignKey(
        "classes.Offering", on_delete=models.CASCADE, related_name="submissions", verbose_name=_("class offering")
    )
    # How late it was sent (0: on time) and the share of its score that costs, fixed when it
    # is sent and recomputed when the learner's deadline changes (an extension).
    late_seconds = models.PositiveIntegerField(_("seconds late"), default=0)
    late_penalty = models.FloatField(_("late penalty"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # What the learner sent (the starter fills in the rest when grading): path -> text/base64.
    dockerfile = models.TextField(_("Dockerfile"))
    files = models.JSONField(_("files"), default=dict, blank=True)
    lang = models.CharField(_("language"), max_length=8, default="pt-BR")
    spec_hash = models.CharField(_("spec hash"), max_length=64, blank=True)
    # The lab's parameters as drawn for the learner (ParameterDraw), which its checks use:
    # a regrade and the submission page read them from here.
    parameters = models.JSONField(_("parameter values"), default=dict, blank=True)
    report = models.JSONField(_("report"), null=True, blank=True)
    log = models.TextField(_("build log"), blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    max_score = models.PositiveIntegerField(_("maximum score"), null=True, blank=True)
    # Rejected input and platform errors never count as an attempt.
    counted = models.BooleanField(_("counted as an attempt"), default=False)
    worker_host = models.CharField(_("graded by"), max_length=200, blank=True)
    # The grading run that holds the claim: every write of a run is conditional on it, so a
    # run the watchdog replaced cannot overwrite the one that replaced it.
    run_token = models.CharField(_("grading run"), max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(_("platform retries"), default=0)
    # An instructor's regrade in flight: it does not hold the learner's one slot, so the
    # learner can still submit while their old work is graded again.
    regrading = models.BooleanField(_("being regraded"), default=False)
    # The verdict a regrade replaces, put back if the regrade itself ends in a platform error:
    # a failure of ours must not take away a result the learner had.
    regrade_backup = models.JSONField(_("verdict before the regrade"), null=True, blank=True, editable=False)
    error_detail = models.TextField(_("platform error detail"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    building_at = models.DateTimeField(_("building since"), null=True, blank=True)
    running_at = models.DateTimeField(_("running since"), null=True, blank=True)
    checking_at = models.DateTimeField(_("checking since"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
            # One submission in flight per learner and lab: a second click cannot queue a twin.
            # Regrades are the instructor's and do not take that slot.
            models.UniqueConstraint(
                fields=["learner", "offering"],
                condition=models.Q(status__in=["queued", "building", "running", "checking"], regrading=False),
                name="one_active_submission_per_learner_and_offering",
            ),
            models.CheckConstraint(
                condition=models.Q(late_penalty__gte=0) & models.Q(late_penalty__lte=1),
                name="submission_late_penalty_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["lab", "learner", "-created_at"]),
            models.Index(fields=["offering", "learner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.learner} · {self.lab.slug} · {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def counted_score(self) -> float | None:
        """The score that counts: the grading's, less the late penalty."""
        if self.score is None:
            return None
        return round(self.score * (1 - self.late_penalty), 4)

    @property
    def late_days(self) -> int:
        return -(-self.late_seconds // 86400)


class ParameterDraw(models.Model):
    """A learner's values of a lab's parameters in one class (the port their app must listen
    on, the user to create): drawn once, the least-used combination among the class's
    learners, then kept, so editing lab.yaml or showing the page again never changes them.
    Per offering, not per lab: the balance that matters is among classmates, and everything
    a learner does in a lab (submissions, deadlines) belongs to the offering."""

    offering = models.ForeignKey(
        "classes.Offering", on_delete=models.CASCADE, related_name="parameter_draws", verbose_name=_("class offering")
    )
    learner = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="parameter_draws", verbose_name=_("learner")
    )
    # parameter name -> value (a number or a name).
    values = models.JSONField(_("parameter values"), default=dict)
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta:
        ordering = ["offering", "learner"]
        verbose_name = _("parameter draw")
        verbose_name_plural = _("parameter draws")
        constraints = [
            models.UniqueConstraint(fields=["offering", "learner"], name="one_parameter_draw_per_learner_and_offering")
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.offering_id}: {self.values}"
