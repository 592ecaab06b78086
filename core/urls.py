from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("contas/cadastro/", views.signup, name="signup"),
    path("operacoes/", views.operations, name="operations"),
    path("operacoes/ping/", views.operations_ping, name="operations-ping"),
]
