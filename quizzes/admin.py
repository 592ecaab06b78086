from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Answer, Attempt, Choice, Question, Quiz


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "key", "kind", "points", "edit_link")
    readonly_fields = ("edit_link",)
    extra = 0
    show_change_link = True

    @admin.display(description=_("choices"))
    def edit_link(self, question):
        if not question.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:quizzes_question_change", args=[question.pk]), _("edit text and choices"))


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published", "attempts_allowed", "grading_method", "opens_at", "closes_at")
    list_filter = ("is_published", "grading_method")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "slug")
    inlines = [QuestionInline]
    fieldsets = [
        (None, {"fields": ("title", "slug", "description", "is_published", "position")}),
        (_("Attempts and grading"), {"fields": ("attempts_allowed", "grading_method", "time_limit_minutes", "opens_at", "closes_at")}),
        (_("Presentation and review"), {"fields": ("one_per_page", "shuffle_questions", "shuffle_choices", "reveal_answers")}),
    ]


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("position", "key", "text", "is_correct", "fraction", "feedback")
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "points", "position")
    list_filter = ("quiz", "kind")
    search_fields = ("text", "key")
    inlines = [ChoiceInline]


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
    readonly_fields = ("question_order", "choice_order")
    inlines = [AnswerInline]
