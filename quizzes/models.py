from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from classes.deadlines import LearnerTerms, learner_terms

from .importers.validation import in_category


class Quiz(models.Model):
    """A quiz's content: its questions. Its settings (dates, attempts, review options) are
    each class's, on the quiz's offering there (classes.models.Offering)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    # Practice: labelled as such to learners and left out of the combined gradebook.
    is_practice = models.BooleanField(
        _("practice"),
        default=False,
        help_text=_("Practice quizzes are labelled as such and do not count in the gradebook."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # The settings the quiz's file asks for: what a class adding the quiz starts from.
    settings_defaults = models.JSONField(_("default settings for a new class"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title

    def draw_pools(self, questions: "list[Question] | None" = None) -> "list[tuple[Draw, list[Question]]]":
        """Each random draw with its pool: the quiz's questions in its category or a category
        under it, in the quiz's order. Imports keep pools disjoint; where the admin let two
        overlap, a question belongs to the first draw's pool only, so no attempt gets it twice."""
        questions = list(self.questions.all()) if questions is None else questions
        pools: list[tuple[Draw, list[Question]]] = []
        taken: set[int] = set()
        for draw in self.draws.all():
            pool = [q for q in questions if q.pk not in taken and in_category(q.category, draw.category)]
            taken.update(q.pk for q in pool)
            pools.append((draw, pool))
        return pools

    def _slots(self) -> tuple[int, float]:
        """(questions, points) of one attempt: the questions outside every draw, and each draw's
        `count` questions (a pool's questions are worth the same; else its highest are counted)."""
        questions = list(self.questions.all())
        count, total, drawn = 0, 0.0, set[int]()
        for draw, pool in self.draw_pools(questions):
            drawn.update(q.pk for q in pool)
            picked = sorted((q.points for q in pool), reverse=True)[: draw.count]
            count, total = count + len(picked), total + sum(picked)
        rest = [q for q in questions if q.pk not in drawn]
        return count + len(rest), total + sum(q.points for q in rest)

    @property
    def max_score(self) -> float:
        """What an attempt can score (see _slots)."""
        return self._slots()[1]

    @property
    def questions_per_attempt(self) -> int:
        """How many questions an attempt shows: with random draws, fewer than the quiz has."""
        return self._slots()[0]


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice (several correct)")
        ESSAY = "essay", _("essay")
        COMMAND = "command", _("docker command")
        SHORT_ANSWER = "shortanswer", _("short answer")
        NUMERICAL = "numerical", _("numerical")
        MATCHING = "matching", _("matching")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=_("quiz"))
    key = models.SlugField(
        _("key"), max_length=80, help_text=_("Stable identifier: re-imports update the question with the same key.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("text"), help_text=_("Markdown."))
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Shown with the correct answer, when the review options allow.")
    )
    points = models.FloatField(_("points"), default=1)
    position = models.PositiveIntegerField(_("position"), default=0)
    expected_command = models.CharField(_("expected command"), max_length=500, blank=True)
    # The author's label (Moodle's question name): shown to teachers; the key is the identifier.
    name = models.CharField(_("name"), max_length=255, blank=True)
    # "Docker/Redes": where the question sits in the bank; random draws pick from a category.
    category = models.CharField(_("category"), max_length=255, blank=True, db_index=True)
    case_sensitive = models.BooleanField(_("case sensitive"), default=False)  # short answer
    # Numerical: [{"name": "GB", "multiplier": 1}, ...]; the first unit is the answers' own.
    units = models.JSONField(_("units"), default=list, blank=True)
    # Moodle's penalty per wrong try: kept so an export gives back what was imported; not applied.
    penalty = models.FloatField(_("penalty"), default=0)
    feedback_correct = models.TextField(_("feedback for a right answer"), blank=True)
    feedback_partial = models.TextField(_("feedback for a partly right answer"), blank=True)
    feedback_incorrect = models.TextField(_("feedback for a wrong answer"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="question_key_unique_in_quiz"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="question_points_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz.slug} · {self.key}"

    @property
    def is_auto_scored(self) -> bool:
        return self.kind != self.Kind.ESSAY


class Draw(models.Model):
    """A slot of the quiz that shows `count` questions drawn at random from its questions in
    `category` (or a category under it); each attempt keeps its draw (Attempt.question_order)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="draws", verbose_name=_("quiz"))
    category = models.CharField(_("category"), max_length=255)
    count = models.PositiveSmallIntegerField(_("questions drawn"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("random draw")
        verbose_name_plural = _("random draws")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "category"], name="draw_category_unique_in_quiz"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="draw_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz.slug} · {self.count} × {self.category}"


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question"))
    key = models.CharField(_("key"), max_length=16)
    text = models.TextField(_("text"))
    is_correct = models.BooleanField(_("correct"), default=False)
    # Multiple choice: share of the question's points this choice is worth (negative for a wrong one).
    fraction = models.FloatField(_("credit fraction"), default=0)
    feedback = models.TextField(_("feedback"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    tolerance = models.FloatField(_("tolerance"), default=0)  # numerical: accepted absolute error
    match_text = models.TextField(_("matching answer"), blank=True)  # matching: the answer for this stem

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="choice_key_unique_in_question"),
            models.CheckConstraint(
                condition=models.Q(fraction__gte=-1) & models.Q(fraction__lte=1), name="choice_fraction_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}) {self.text[:60]}"


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUBMITTED = "submitted", _("submitted")

    # The quiz gives the questions; the offering (the quiz in one class) gives the settings.
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz"))
    offering = models.ForeignKey(
        "classes.Offering", on_delete=models.CASCADE, related_name="attempts", verbose_name=_("class offering")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("learner")
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    # The attempt's own time limit only: the close date is read as it is now (see due_at), so
    # a teacher moving it, or granting an extension, applies to attempts already open.
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    last_saved_at = models.DateTimeField(_("answers last saved at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted when time ran out"), default=False)
    # The order this learner sees, fixed at the start so shuffling is stable within the attempt.
    question_order = models.JSONField(_("question order"), default=list)
    choice_order = models.JSONField(_("choice order"), default=dict)
    score = models.FloatField(_("score"), null=True, blank=True)
    max_score = models.FloatField(_("maximum score"), default=0)
    pending_review = models.BooleanField(_("awaiting essay review"), default=False)
    # Not a column: the quiz page sets it on the attempts it lists (selectors.marks_visible).
    marks_visible: bool

    class Meta:
        ordering = ["quiz", "learner", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(fields=["offering", "learner", "number"], name="attempt_number_unique_in_offering"),
            models.UniqueConstraint(
                fields=["offering", "learner"],
                condition=models.Q(status="in_progress"),
                name="one_attempt_in_progress_per_offering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz.slug} · {self.learner} · #{self.number}"

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return 100 * self.score / self.max_score

    @cached_property
    def terms(self) -> LearnerTerms:
        """The offering's dates and limits for this learner, extension included; read once per
        loaded attempt (services reload it under a lock before deciding anything)."""
        return learner_terms(offering=self.offering, learner_id=self.learner_id)

    @property
    def due_at(self):
        """When this attempt stops taking answers: its time limit or the learner's current
        close date, whichever comes first (None: never)."""
        limits = [moment for moment in (self.deadline, self.terms.closes_at) if moment is not None]
        return min(limits) if limits else None

    def is_overdue(self, now=None) -> bool:
        due = self.due_at
        return due is not None and (now or timezone.now()) >= due

    @property
    def ended_by_close(self) -> bool:
        """Whether the close date, not the time limit, ends (or ended) this attempt."""
        if self.status == self.Status.SUBMITTED and self.submitted_at is not None:
            # Finished automatically at its due time: before the time limit means the close did it.
            return self.auto_submitted and (self.deadline is None or self.submitted_at < self.deadline)
        closes = self.terms.closes_at
        return closes is not None and (self.deadline is None or closes < self.deadline)


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers", verbose_name=_("attempt"))
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question"))
    selected = models.ManyToManyField(Choice, blank=True, related_name="answers", verbose_name=_("chosen choices"))
    text = models.TextField(_("text"), blank=True)
    auto_score = models.FloatField(_("automatic score"), null=True, blank=True)
    # Command questions: what the comparison found, for the results page.
    feedback = models.JSONField(_("feedback"), default=list, blank=True)
    # Matching: {choice id (a stem): the answer text chosen for it}.
    response = models.JSONField(_("response"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        ordering = ["question__position"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.attempt} · {self.question.key}"


class Rubric(models.Model):
    """How an essay question is graded: criteria, each with levels worth points."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="rubric", verbose_name=_("question")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")

    def __str__(self) -> str:
        return f"{_('Rubric')} · {self.question}"

    @property
    def max_points(self) -> float:
        return sum(max((level.points for level in c.levels.all()), default=0) for c in self.criteria.all())


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("rubric"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.name


class Level(models.Model):
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="levels", verbose_name=_("criterion")
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    points = models.FloatField(_("points"), default=0)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        constraints = [models.CheckConstraint(condition=models.Q(points__gte=0), name="level_points_not_negative")]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.name} ({self.points:g})"


class CommentSnippet(models.Model):
    """A reusable comment for an essay question's reviews."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="snippets", verbose_name=_("question")
    )
    text = models.TextField(_("text"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("comment snippet")
        verbose_name_plural = _("comment snippets")

    def __str__(self) -> str:
        return self.text[:60]


class Review(models.Model):
    """An instructor's grading of one essay answer, hidden from the learner until released;
    once released, the learner sees its last saved revision, never a draft."""

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="review", verbose_name=_("answer"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("reviewer"),
    )
    levels = models.ManyToManyField(Level, blank=True, related_name="reviews", verbose_name=_("chosen levels"))
    adjustment = models.FloatField(_("manual adjustment"), default=0)
    comment = models.TextField(_("comment"), blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    is_complete = models.BooleanField(_("review complete"), default=False)
    # The revision the instructor last saved (not an autosaved draft): what a release shows the
    # learner and what the attempt is graded by. Drafts change only the fields above.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    revision_levels = models.ManyToManyField(
        Level, blank=True, related_name="review_revisions", verbose_name=_("levels of the saved revision")
    )
    revision_adjustment = models.FloatField(_("adjustment of the saved revision"), default=0)
    revision_comment = models.TextField(_("comment of the saved revision"), blank=True)
    revision_score = models.FloatField(_("score of the saved revision"), null=True, blank=True)
    # A save must name the version it edited: a stale one is refused, not silently applied.
    version = models.PositiveIntegerField(_("version"), default=0)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_reviews",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["answer__attempt__quiz", "answer__question__position", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{_('Review')} · {self.answer}"
