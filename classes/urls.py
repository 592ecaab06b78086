from django.urls import path

from . import views

app_name = "classes"
urlpatterns = [
    path("", views.class_list, name="list"),
    path("entrar/", views.class_join_view, name="join"),
    path("entrar/<str:code>/", views.class_join_view, name="join-code"),
    path("<int:class_id>/", views.class_detail, name="detail"),
]
