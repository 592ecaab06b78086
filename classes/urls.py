from django.urls import path

from . import manage_views, views

app_name = "classes"
urlpatterns = [
    path("", views.class_list, name="list"),
    path("nova/", manage_views.class_create_view, name="create"),
    path("entrar/", views.class_join_view, name="join"),
    path("entrar/<str:code>/", views.class_join_view, name="join-code"),
    path("<int:class_id>/", views.class_detail, name="detail"),
    path("<int:class_id>/configuracoes/", manage_views.class_settings, name="settings"),
    path("<int:class_id>/configuracoes/novo-codigo/", manage_views.class_new_code_view, name="new-code"),
    path("<int:class_id>/arquivar/", manage_views.class_archive_view, name="archive"),
    path("<int:class_id>/restaurar/", manage_views.class_unarchive_view, name="unarchive"),
    path("<int:class_id>/conteudo/", manage_views.class_content, name="content"),
    path("<int:class_id>/conteudo/adicionar/", manage_views.offering_add_view, name="offering-add"),
    path("<int:class_id>/conteudo/<int:offering_id>/", manage_views.offering_edit, name="offering"),
    path("<int:class_id>/pessoas/", manage_views.class_people, name="people"),
    path("<int:class_id>/pessoas/adicionar/", manage_views.member_add_view, name="member-add"),
    path("<int:class_id>/pessoas/importar/", manage_views.roster_import_view, name="roster-import"),
    path("<int:class_id>/pessoas/<int:membership_id>/papel/", manage_views.member_role_view, name="member-role"),
    path("<int:class_id>/pessoas/<int:membership_id>/remover/", manage_views.member_remove_view, name="member-remove"),
    path(
        "<int:class_id>/pessoas/<int:membership_id>/link-de-senha/",
        manage_views.member_password_link_view,
        name="member-password-link",
    ),
    path("<int:class_id>/prorrogacoes/", manage_views.class_extensions, name="extensions"),
    path(
        "<int:class_id>/prorrogacoes/<int:extension_id>/revogar/",
        manage_views.extension_revoke_view,
        name="extension-revoke",
    ),
    path("<int:class_id>/registro/", manage_views.class_log, name="log"),
]
