from django.urls import path

from . import review_views, views

app_name = "quizzes"
# A quiz is reached through a class (its settings are the class's); attempts and answers by
# their own ids, their class read from them.
CLASS = "turmas/<int:class_id>/"
QUIZ = CLASS + "questionarios/<slug:slug>/"
urlpatterns = [
    path(CLASS + "revisao/", review_views.review_queue, name="review-queue"),
    path(CLASS + "revisao/proxima/", review_views.review_next, name="review-next"),
    path(CLASS + "revisao/anonima/", review_views.review_blind_toggle, name="review-blind"),
    path(CLASS + "revisao/liberar/", review_views.review_release_view, name="review-release"),
    path(CLASS + "boletim.csv", review_views.gradebook_csv, name="gradebook-csv"),
    path(CLASS + "boletim.xlsx", review_views.gradebook_csv, {"fmt": "xlsx"}, name="gradebook-xlsx"),
    path(QUIZ, views.quiz_detail, name="detail"),
    path(QUIZ + "comecar/", views.attempt_begin, name="begin"),
    path(QUIZ + "estatisticas/", views.quiz_stats, name="stats"),
    path(QUIZ + "semelhanca/<int:question_id>/", review_views.essay_similarity, name="essay-similarity"),
    path(QUIZ + "semelhanca/<int:question_id>/par/", review_views.essay_similarity_pair, name="essay-similarity-pair"),
    path(QUIZ + "notas.csv", review_views.quiz_grades_csv, name="grades-csv"),
    path(QUIZ + "notas.xlsx", review_views.quiz_grades_csv, {"fmt": "xlsx"}, name="grades-xlsx"),
    path(QUIZ + "questoes-moodle.xml", review_views.quiz_bank_xml, name="bank-xml"),
    path("questionarios/revisao/respostas/<int:pk>/", review_views.review_answer, name="review-answer"),
    path("questionarios/tentativas/<int:pk>/", views.attempt_take, name="attempt"),
    path("questionarios/tentativas/<int:pk>/salvar/", views.attempt_save_page, name="save-page"),
    path("questionarios/tentativas/<int:pk>/respostas/<int:question_id>/", views.answer_autosave, name="autosave"),
    path("questionarios/tentativas/<int:pk>/enviar/", views.attempt_finish, name="submit"),
    path("questionarios/tentativas/<int:pk>/resultado/", views.attempt_result, name="result"),
]
