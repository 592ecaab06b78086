from django.contrib import admin

from .models import Lab


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_active", "position", "spec_hash")
    readonly_fields = ("spec_hash",)
    search_fields = ("title", "slug")
