from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Answer,
    Attempt,
    Choice,
    CommentSnippet,
    Criterion,
    Draw,
    Level,
    Question,
    Quiz,
    Review,
    Rubric,
)
from .reviews import level_set_points


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "key", "kind", "category", "points", "edit_link")
    readonly_fields = ("edit_link",)
    extra = 0
    show_change_link = True

    @admin.display(description=_("choices"))
    def edit_link(self, question):
        if not question.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:quizzes_question_change", args=[question.pk]),
            _("edit text and choices"),
        )


class DrawInline(admin.TabularInline):
    """Random draws: each attempt shows `count` questions of the category (and the categories
    under it), the least drawn in the class first. Attempts already started keep theirs."""

    model = Draw
    fields = ("position", "category", "count")
    extra = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    """The quiz's content. Its dates, attempts and review options are each class's
    (classes › offerings); the defaults a new class starts from come from the quiz's file."""

    list_display = ("title", "slug", "is_published", "is_practice")
    list_filter = ("is_published", "is_practice")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "slug")
    inlines = [QuestionInline, DrawInline]
    fields = ("title", "slug", "description", "is_published", "is_practice", "position", "settings_defaults")


class ChoiceInline(admin.TabularInline):
    """A choice, an accepted answer (short answer, numerical: with its tolerance) or a matching
    pair (text = the stem, empty for a distractor; matching answer = what goes with it)."""

    model = Choice
    fields = ("position", "key", "text", "is_correct", "fraction", "tolerance", "match_text", "feedback")
    extra = 0


class CommentSnippetInline(admin.TabularInline):
    model = CommentSnippet
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name", "kind", "category", "points", "position")
    list_filter = ("quiz", "kind", "category")
    search_fields = ("text", "key", "name", "category")
    inlines = [ChoiceInline, CommentSnippetInline]
    fieldsets = (
        (None, {"fields": ("quiz", "key", "name", "category", "kind", "text", "points", "position", "explanation")}),
        (_("Command"), {"fields": ("expected_command",), "classes": ("collapse",)}),
        (_("Short answer and numerical"), {"fields": ("case_sensitive", "units")}),
        (
            _("Combined feedback"),
            {"fields": ("feedback_correct", "feedback_partial", "feedback_incorrect", "penalty")},
        ),
    )


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question", "text", "auto_score")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("quiz", "learner", "number", "status", "score", "max_score", "pending_review", "submitted_at")
    list_filter = ("quiz", "status", "pending_review")
    search_fields = ("learner__username",)
    readonly_fields = ("question_order", "choice_order", "last_saved_at")
    inlines = [AnswerInline]


class CriterionInline(admin.StackedInline):
    model = Criterion
    fields = ("position", "name", "description", "edit_link")
    readonly_fields = ("edit_link",)
    extra = 0

    @admin.display(description=_("levels"))
    def edit_link(self, criterion):
        if not criterion.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:quizzes_criterion_change", args=[criterion.pk]), _("edit levels")
        )


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ("__str__",)
    inlines = [CriterionInline]


class LevelInline(admin.TabularInline):
    model = Level
    fields = ("position", "name", "description", "points")
    extra = 0


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("name", "rubric", "position")
    inlines = [LevelInline]

    def save_formset(self, request, form, formset, change):
        # A level's points changing re-scores every review that chose it, and says how many.
        changed_points = {}
        if formset.model is Level:
            for level_form in formset.forms:
                level = level_form.instance
                if level.pk and "points" in level_form.changed_data and not level_form.cleaned_data.get("DELETE"):
                    changed_points[level.pk] = level_form.cleaned_data["points"]
        super().save_formset(request, form, formset, change)
        rescored = sum(
            level_set_points(level=Level.objects.get(pk=pk), points=points) for pk, points in changed_points.items()
        )
        if changed_points:
            self.message_user(
                request,
                ngettext(
                    "%(count)d review re-scored after the level change.",
                    "%(count)d reviews re-scored after the level change.",
                    rescored,
                )
                % {"count": rescored},
            )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("answer", "reviewer", "score", "is_complete", "released_at")
    list_filter = ("is_complete", "answer__attempt__quiz")
    readonly_fields = (
        "answer",
        "version",
        "claimed_by",
        "claimed_at",
        "reviewed_at",
        "released_at",
        "score",
        "revision",
        "revision_levels",
        "revision_adjustment",
        "revision_comment",
        "revision_score",
    )
