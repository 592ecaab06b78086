"""The platform's URLs (its ROOT_URLCONF; see server.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home),
    path("login-as/<str:username>", views.login_as),
    path("course/<str:context_id>/", views.course),
    path("course/<str:context_id>/add-activity/", views.add_activity),
    path("course/<str:context_id>/deep-link-return/", views.deep_link_return),
    path("launch/<str:link_id>/", views.launch),
    path("auth", views.authorize),
    path("token", views.token),
    path(".well-known/jwks.json", views.jwks),
    path("api/contexts/<str:context_id>/lineitems", views.lineitems),
    path("api/contexts/<str:context_id>/lineitems/<str:line_item_id>", views.lineitem),
    path("api/contexts/<str:context_id>/lineitems/<str:line_item_id>/scores", views.scores),
    path("api/contexts/<str:context_id>/lineitems/<str:line_item_id>/results", views.results),
    path("api/contexts/<str:context_id>/memberships", views.memberships),
    path("_health", views.health),
    path("_state", views.state),
    path("_control", views.control),
]
