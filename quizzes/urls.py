from django.urls import path

from . import review_views, views

app_name = "quizzes"
urlpatterns = [
    path("revisao/", review_views.review_queue, name="review-queue"),
    path("revisao/proxima/", review_views.review_next, name="review-next"),
    path("revisao/anonima/", review_views.review_blind_toggle, name="review-blind"),
    path("revisao/liberar/", review_views.review_release_view, name="review-release"),
    path("revisao/respostas/<int:pk>/", review_views.review_answer, name="review-answer"),
    path("boletim.csv", review_views.gradebook_csv, name="gradebook-csv"),
    path("boletim.xlsx", review_views.gradebook_csv, {"fmt": "xlsx"}, name="gradebook-xlsx"),
    path("<slug:slug>/notas.csv", review_views.quiz_grades_csv, name="grades-csv"),
    path("<slug:slug>/notas.xlsx", review_views.quiz_grades_csv, {"fmt": "xlsx"}, name="grades-xlsx"),
    path("<slug:slug>/", views.quiz_detail, name="detail"),
    path("<slug:slug>/comecar/", views.attempt_begin, name="begin"),
    path("<slug:slug>/estatisticas/", views.quiz_stats, name="stats"),
    path("tentativas/<int:pk>/", views.attempt_take, name="attempt"),
    path("tentativas/<int:pk>/salvar/", views.attempt_save_page, name="save-page"),
    path("tentativas/<int:pk>/respostas/<int:question_id>/", views.answer_autosave, name="autosave"),
    path("tentativas/<int:pk>/enviar/", views.attempt_finish, name="submit"),
    path("tentativas/<int:pk>/resultado/", views.attempt_result, name="result"),
]
