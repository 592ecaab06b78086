from django.urls import path

from . import views

app_name = "labs"
urlpatterns = [
    path("<slug:slug>/", views.lab_detail, name="detail"),
    path("<slug:slug>/enviar/", views.submission_new, name="submit"),
    path("<slug:slug>/arquivos-iniciais.zip", views.starter_zip, name="starter-zip"),
    path("<slug:slug>/arquivos-iniciais/<path:path>", views.starter_file, name="starter-file"),
    path("<slug:slug>/entregas/", views.lab_submissions, name="submissions"),
    path("<slug:slug>/entregas/reavaliar/", views.lab_regrade_all_view, name="regrade-all"),
    path("<slug:slug>/entregas/notas.csv", views.lab_scores_csv, name="scores-csv"),
    path("<slug:slug>/entregas/notas.xlsx", views.lab_scores_csv, {"fmt": "xlsx"}, name="scores-xlsx"),
    path("entregas/<int:pk>/", views.submission_detail, name="submission"),
    path("entregas/<int:pk>/reavaliar/", views.submission_regrade_view, name="regrade"),
]
