"""Classes (turmas): who is in them with which role, the content each offers with its own
settings, and the extensions granted to learners. Content itself (quizzes, questions, labs)
is shared between classes; what a class changes is only its offerings' settings."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# No 0/O, 1/I/L: a code read aloud or copied from a projector is typed right the first time.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class Role(models.TextChoices):
    TEACHER = "teacher", _("teacher")
    ASSISTANT = "assistant", _("teaching assistant")
    LEARNER = "learner", _("learner")


class Class(models.Model):
    class LabScoreRule(models.TextChoices):
        BEST = "best", _("the best counted submission")
        LATEST = "latest", _("the latest counted submission")

    name = models.CharField(_("name"), max_length=200)
    term = models.CharField(_("term"), max_length=80, blank=True, help_text=_("For example 2026.2."))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    join_code = models.CharField(_("join code"), max_length=16, unique=True, default=new_join_code)
    join_open = models.BooleanField(
        _("learners may join with the code"), default=True, help_text=_("Close it once everyone is in.")
    )
    # Which of a learner's graded submissions to a lab is their grade (late penalty applied):
    # read by labs.selectors.lab_grade_submissions, the one function every gradebook, export
    # and LMS grade follows.
    lab_score_rule = models.CharField(
        _("lab grade"),
        max_length=8,
        choices=LabScoreRule.choices,
        default=LabScoreRule.BEST,
        help_text=_("Which of a learner's graded submissions to a lab counts as their grade."),
    )
    # Archived: grades stay, read-only; nobody answers, submits, reviews or changes settings.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name", "id"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="class_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.term})" if self.term else self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(models.Model):
    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("class"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.LEARNER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["klass", "role", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["klass", "user"], name="one_membership_per_class_and_user"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.klass} · {self.role}"


class QuizSettings(models.Model):
    """A quiz's settings in one class: its dates, attempts, time limit and review options.
    Declared once, here; the quiz file's settings are only the defaults of a new offering."""

    class GradingMethod(models.TextChoices):
        HIGHEST = "highest", _("highest attempt")
        LAST = "last", _("last attempt")
        AVERAGE = "average", _("average of attempts")

    class Reveal(models.TextChoices):
        IMMEDIATELY = "immediately", _("right after each attempt")
        AFTER_LAST_ATTEMPT = "after_last_attempt", _("after the last allowed attempt")
        AFTER_CLOSE = "after_close", _("after the quiz closes")

    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=0, help_text=_("0 means unlimited.")
    )
    grading_method = models.CharField(
        _("grading method"), max_length=16, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    one_per_page = models.BooleanField(_("one question per page"), default=False)
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_choices = models.BooleanField(_("shuffle choices"), default=False)
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), null=True, blank=True)
    reveal_answers = models.CharField(
        _("reveal answers"), max_length=24, choices=Reveal.choices, default=Reveal.IMMEDIATELY
    )
    # Marks (score, per-question marks, totals) are a review option of their own, per moment,
    # as in Moodle: with several attempts, totals seen after each one give the key away one
    # answer at a time, so a quiz may hold them back until it closes.
    marks_during = models.BooleanField(
        _("marks during an attempt"),
        default=True,
        help_text=_("While the learner is taking an attempt of this quiz: the marks of their other attempts."),
    )
    marks_immediately = models.BooleanField(
        _("marks right after the attempt"), default=True, help_text=_("Within two minutes of submitting.")
    )
    marks_open = models.BooleanField(_("marks later, while the quiz is open"), default=True)
    marks_closed = models.BooleanField(_("marks after the quiz closes"), default=True)

    class Meta:
        abstract = True


# The names of the settings above, for copying a quiz file's defaults onto a new offering.
QUIZ_SETTING_FIELDS = tuple(f.name for f in QuizSettings._meta.fields)  # noqa: SLF001 - Django's public model API


class Offering(QuizSettings):
    """One piece of content (a quiz or a lab) in one class, with that class's settings.
    Attempts and submissions belong to an offering, so every list is a class's own."""

    class LatePolicy(models.TextChoices):
        REFUSE = "refuse", _("refuse late work")
        PENALTY = "penalty", _("accept late work with a penalty per day")

    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("class"))
    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="offerings",
        verbose_name=_("quiz"),
    )
    lab = models.ForeignKey(
        "labs.Lab", on_delete=models.CASCADE, null=True, blank=True, related_name="offerings", verbose_name=_("lab")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_visible = models.BooleanField(_("visible to learners"), default=True)
    # Quizzes: when attempts may start and when open ones end. Labs: when submissions are
    # taken; for a lab, the close is the last moment late work is accepted.
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, help_text=_("Labs: work after it is late."))
    late_policy = models.CharField(
        _("late work"), max_length=16, choices=LatePolicy.choices, default=LatePolicy.PENALTY
    )
    late_penalty_percent = models.FloatField(
        _("late penalty (% per day)"),
        default=10,
        help_text=_("Taken from the score for each day or part of a day after the due date."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["klass", "position", "id"]
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(quiz__isnull=False) & models.Q(lab__isnull=True))
                | (models.Q(quiz__isnull=True) & models.Q(lab__isnull=False)),
                name="offering_is_a_quiz_or_a_lab",
            ),
            models.UniqueConstraint(fields=["klass", "quiz"], name="one_offering_per_class_and_quiz"),
            models.UniqueConstraint(fields=["klass", "lab"], name="one_offering_per_class_and_lab"),
            models.CheckConstraint(
                condition=models.Q(closes_at__isnull=True)
                | models.Q(opens_at__isnull=True)
                | models.Q(closes_at__gt=models.F("opens_at")),
                name="offering_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__isnull=True)
                | models.Q(due_at__isnull=True)
                | models.Q(closes_at__gte=models.F("due_at")),
                name="offering_closes_after_due",
            ),
            models.CheckConstraint(
                condition=models.Q(late_penalty_percent__gte=0) & models.Q(late_penalty_percent__lte=100),
                name="offering_penalty_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.klass} · {self.content}"

    @property
    def content(self):
        return self.quiz if self.quiz_id else self.lab

    @property
    def slug(self) -> str:
        return self.content.slug

    @property
    def title(self) -> str:
        return self.content.title

    @property
    def is_quiz(self) -> bool:
        return self.quiz_id is not None

    @property
    def is_available(self) -> bool:
        """Shown to the class's learners: visible in the class, and its content published (a
        quiz) or active (a lab)."""
        if self.quiz is not None:
            return self.is_visible and self.quiz.is_published
        return self.is_visible and self.lab is not None and self.lab.is_active

    def has_opened(self, now=None) -> bool:
        return self.opens_at is None or (now or timezone.now()) >= self.opens_at


class Extension(models.Model):
    """More time or attempts for one learner in one offering. Read by the one function every
    deadline check calls (classes.deadlines.learner_terms)."""

    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("offering")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("learner")
    )
    due_at = models.DateTimeField(_("due date for this learner"), null=True, blank=True)
    closes_at = models.DateTimeField(_("close date for this learner"), null=True, blank=True)
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=0)
    time_multiplier = models.FloatField(_("time limit multiplier"), null=True, blank=True)
    extra_minutes = models.PositiveSmallIntegerField(_("extra minutes"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        ordering = ["offering", "learner__username"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(fields=["offering", "learner"], name="one_extension_per_offering_and_learner"),
            models.CheckConstraint(
                condition=models.Q(time_multiplier__isnull=True)
                | (models.Q(time_multiplier__gte=1) & models.Q(time_multiplier__lte=10)),
                name="extension_multiplier_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.offering}"


class ClassEvent(models.Model):
    """What was done to a class and by whom: roster imports, settings, extensions, releases,
    archiving. Append-only; shown to the class's teachers."""

    class Action(models.TextChoices):
        CREATED = "created", _("class created")
        SETTINGS = "settings", _("class settings changed")
        OFFERING = "offering", _("content settings changed")
        ENROLLED = "enrolled", _("people added")
        ROLE = "role", _("role changed")
        REMOVED = "removed", _("person removed")
        ROSTER = "roster", _("roster imported")
        EXTENSION = "extension", _("extension granted")
        EXTENSION_REVOKED = "extension_revoked", _("extension removed")
        ARCHIVED = "archived", _("class archived")
        UNARCHIVED = "unarchived", _("class restored")
        RELEASED = "released", _("essay grades released")
        REGRADE = "regrade", _("regrade started")

    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="events", verbose_name=_("class"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    summary = models.TextField(_("summary"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("class event")
        verbose_name_plural = _("class events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.klass} · {self.action}"
