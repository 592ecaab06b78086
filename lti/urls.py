from django.urls import path

from . import roster_views, views

app_name = "lti"

urlpatterns = [
    path("login/<uuid:registration_uuid>/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("conteudo/", views.deep_link, name="deep-link"),
    path("turmas/<int:class_id>/sem-vinculo/", views.unlinked, name="deep-link-missing"),
    path("turmas/<int:class_id>/sincronizar/", roster_views.roster_sync_view, name="roster-sync"),
]
