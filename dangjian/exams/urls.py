from django.urls import path

from . import views, views_admin, views_analysis, views_competitions

app_name = "exams"
urlpatterns = [
    path("", views.exam_list, name="list"),
    path("new/", views_admin.exam_new, name="new"),
    path("<int:pk>/", views.exam_detail, name="detail"),
    path("<int:pk>/edit/", views_admin.exam_edit, name="edit"),
    path("<int:pk>/publish/", views_admin.exam_publish, name="publish"),
    path("<int:pk>/cancel/", views_admin.exam_cancel, name="cancel"),
    path("<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/analysis/", views_analysis.exam_analysis, name="analysis"),
    path("attempts/<int:pk>/", views.attempt_page, name="attempt"),
    path("attempts/<int:pk>/submit/", views.submit, name="submit"),
    path("banks/", views_admin.bank_list, name="banks"),
    path("banks/template.xlsx", views_admin.bank_template, name="bank_template"),
    path("banks/<int:pk>/", views_admin.bank_detail, name="bank"),
    path("banks/<int:pk>/import/", views_admin.bank_import, name="bank_import"),
    path("banks/<int:pk>/export.xlsx", views_admin.bank_export, name="bank_export"),
    path("banks/<int:pk>/questions/new/", views_admin.question_new, name="question_new"),
    path("questions/<int:pk>/", views_admin.question_edit, name="question_edit"),
    path("questions/<int:pk>/active/", views_admin.question_active, name="question_active"),
    path("papers/", views_admin.paper_list, name="papers"),
    path("papers/new/", views_admin.paper_new, name="paper_new"),
    path("papers/<int:pk>/", views_admin.paper_edit, name="paper_edit"),
    path("competitions/new/", views_competitions.competition_form, name="competition_new"),
    path("competitions/<int:pk>/", views_competitions.competition_detail, name="competition"),
    path("competitions/<int:pk>/edit/", views_competitions.competition_form, name="competition_edit"),
    path("competitions/<int:pk>/challenge/", views_competitions.challenge, name="challenge"),
]
