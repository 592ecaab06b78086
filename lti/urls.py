from django.urls import path

from . import admin_views, grade_views, roster_views, views

app_name = "lti"

urlpatterns = [
    path("login/<uuid:registration_uuid>/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("conteudo/", views.deep_link, name="deep-link"),
    path("turmas/<int:class_id>/sem-vinculo/", views.unlinked, name="deep-link-missing"),
    path("turmas/<int:class_id>/sincronizar/", roster_views.roster_sync_view, name="roster-sync"),
    path("turmas/<int:class_id>/notas/", grade_views.class_grades, name="class-grades"),
    path("turmas/<int:class_id>/notas/reenviar-falhas/", grade_views.grades_resend_failed, name="grades-resend-failed"),
    path(
        "turmas/<int:class_id>/notas/<int:link_id>/<int:learner_id>/reenviar/",
        grade_views.grade_resend,
        name="grade-resend",
    ),
    # Registering LMSs (site administrators), and LTI Dynamic Registration by one-time link.
    path("plataformas/", admin_views.platforms, name="platforms"),
    path("plataformas/nova/", admin_views.platform_add, name="platform-add"),
    path("plataformas/links/", admin_views.registration_link_new, name="registration-link-new"),
    path(
        "plataformas/links/<int:link_id>/revogar/",
        admin_views.registration_link_revoke,
        name="registration-link-revoke",
    ),
    path("plataformas/<uuid:registration_uuid>/", admin_views.platform, name="platform"),
    path("plataformas/<uuid:registration_uuid>/editar/", admin_views.platform_edit, name="platform-edit"),
    path("plataformas/<uuid:registration_uuid>/ativa/", admin_views.platform_active, name="platform-active"),
    path("plataformas/<uuid:registration_uuid>/canvas.json", admin_views.canvas_json, name="canvas-json"),
    path("registrar/<str:token>/", admin_views.register, name="register"),
]
