from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Class, ClassEvent, Extension, Membership, Offering


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Class)
class ClassAdmin(admin.ModelAdmin):
    list_display = ("name", "term", "starts_on", "ends_on", "archived_at")
    list_filter = ("term", "archived_at")
    search_fields = ("name", "term", "join_code")
    inlines = [MembershipInline]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ("klass", "quiz", "lab", "opens_at", "due_at", "closes_at", "is_visible")
    list_filter = ("klass",)
    fieldsets = [
        (None, {"fields": ("klass", "quiz", "lab", "position", "is_visible")}),
        (_("Dates"), {"fields": ("opens_at", "due_at", "closes_at")}),
        (_("Labs: late work"), {"fields": ("late_policy", "late_penalty_percent")}),
        (
            _("Quizzes: attempts and grading"),
            {"fields": ("attempts_allowed", "grading_method", "time_limit_minutes")},
        ),
        (
            _("Quizzes: presentation and review"),
            {"fields": ("one_per_page", "shuffle_questions", "shuffle_choices", "reveal_answers")},
        ),
        (
            _("Quizzes: marks shown to the learner"),
            {
                "fields": ("marks_during", "marks_immediately", "marks_open", "marks_closed"),
                "description": _(
                    "When the score, each question's marks and the quiz grade are shown. Hiding them until the "
                    "quiz closes keeps several attempts from giving the answers away one at a time."
                ),
            },
        ),
    ]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("offering", "learner", "due_at", "closes_at", "extra_attempts", "time_multiplier", "granted_by")
    readonly_fields = ("granted_by", "granted_at")


@admin.register(ClassEvent)
class ClassEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "klass", "actor", "action")
    list_filter = ("action", "klass")
    readonly_fields = ("klass", "actor", "action", "summary", "detail", "created_at")

    def has_add_permission(self, request):
        return False
