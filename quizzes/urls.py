from django.urls import path

from . import views

app_name = "quizzes"
urlpatterns = [
    path("<slug:slug>/", views.quiz_detail, name="detail"),
    path("<slug:slug>/comecar/", views.attempt_begin, name="begin"),
    path("<slug:slug>/estatisticas/", views.quiz_stats, name="stats"),
    path("tentativas/<int:pk>/", views.attempt_take, name="attempt"),
    path("tentativas/<int:pk>/salvar/", views.attempt_save_page, name="save-page"),
    path("tentativas/<int:pk>/respostas/<int:question_id>/", views.answer_autosave, name="autosave"),
    path("tentativas/<int:pk>/enviar/", views.attempt_finish, name="submit"),
    path("tentativas/<int:pk>/resultado/", views.attempt_result, name="result"),
]
