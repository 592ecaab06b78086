from django.urls import path

from . import views

app_name = "labs"
# A lab is reached through a class (its due date and late policy are the class's);
# submissions by their own ids, their class read from them.
LAB = "turmas/<int:class_id>/laboratorios/<slug:slug>/"
urlpatterns = [
    path(LAB, views.lab_detail, name="detail"),
    path(LAB + "enviar/", views.submission_new, name="submit"),
    path(LAB + "arquivos-iniciais.zip", views.starter_zip, name="starter-zip"),
    path(LAB + "arquivos-iniciais/<path:path>", views.starter_file, name="starter-file"),
    path(LAB + "entregas/", views.lab_submissions, name="submissions"),
    path(LAB + "entregas/reavaliar/", views.lab_regrade_all_view, name="regrade-all"),
    path(LAB + "entregas/semelhanca/", views.lab_similarity, name="similarity"),
    path(LAB + "entregas/semelhanca/par/", views.lab_similarity_pair, name="similarity-pair"),
    path(LAB + "entregas/notas.csv", views.lab_scores_csv, name="scores-csv"),
    path(LAB + "entregas/notas.xlsx", views.lab_scores_csv, {"fmt": "xlsx"}, name="scores-xlsx"),
    path("laboratorios/entregas/<int:pk>/", views.submission_detail, name="submission"),
    path("laboratorios/entregas/<int:pk>/reavaliar/", views.submission_regrade_view, name="regrade"),
]
