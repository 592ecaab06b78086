from django.contrib import admin
from django.urls import include, path

from core import views as core_views

urlpatterns = [
    path("", include("core.urls")),
    path("turmas/", include("classes.urls")),
    path("", include("labs.urls")),
    path("", include("quizzes.urls")),
    # Before Django's own: the reset is throttled and says when no e-mail can be sent.
    path("contas/password_reset/", core_views.password_reset, name="password_reset"),
    path("contas/", include("django.contrib.auth.urls")),
    path("lti/", include("lti.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
