from django.contrib import admin

from .models import Quiz


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published", "position")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "slug")
