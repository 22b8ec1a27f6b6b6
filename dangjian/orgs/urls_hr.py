from django.urls import path

from . import views_hr

urlpatterns = [
    path("import/", views_hr.import_start, name="import"),
    path("import/template.xlsx", views_hr.import_template, name="import_template"),
    path("import/<int:pk>/", views_hr.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", views_hr.import_confirm, name="import_confirm"),
    path("statistics/", views_hr.statistics_view, name="statistics"),
]
