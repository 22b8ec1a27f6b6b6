from django.urls import path

from . import views_hr, views_manage

urlpatterns = [
    path("import/", views_hr.import_start, name="import"),
    path("import/template.xlsx", views_hr.import_template, name="import_template"),
    path("import/<int:pk>/", views_hr.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", views_hr.import_confirm, name="import_confirm"),
    path("statistics/", views_hr.statistics_view, name="statistics"),
]

urlpatterns += [
    path("<int:pk>/add/", views_manage.org_add_child, name="org_add_child"),
    path("<int:pk>/posts/add/", views_manage.org_add_post, name="org_add_post"),
    path("members/<int:pk>/rewards/add/", views_manage.member_add_reward, name="member_add_reward"),
    path("members/<int:pk>/memberships/add/", views_manage.member_add_extra, name="member_add_extra"),
]
