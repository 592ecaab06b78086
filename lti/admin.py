from django.contrib import admin

from .models import CourseClass, LinkedOffering, ScoreSend


@admin.register(CourseClass)
class CourseClassAdmin(admin.ModelAdmin):
    list_display = ("context", "klass", "roster_synced_at")
    raw_id_fields = ("context", "klass")


@admin.register(LinkedOffering)
class LinkedOfferingAdmin(admin.ModelAdmin):
    list_display = ("resource_link", "offering", "lineitem_url")
    raw_id_fields = ("resource_link", "offering")


@admin.register(ScoreSend)
class ScoreSendAdmin(admin.ModelAdmin):
    list_display = ("learner", "link", "score_given", "score_maximum", "state", "tries", "sent_at")
    list_filter = ("state",)
    raw_id_fields = ("link", "learner", "lti_user", "requested_by")
