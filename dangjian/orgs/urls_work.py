"""Routes for member work: transfers, mobile and out-of-contact members, member development."""

from django.urls import path

from . import views_development, views_transfer

urlpatterns = [
    path("transfers/", views_transfer.transfer_list, name="transfer_list"),
    path("transfers/new/", views_transfer.transfer_new, name="transfer_new"),
    path("transfers/receive/", views_transfer.transfer_receive, name="transfer_receive"),
    path("transfers/<int:pk>/", views_transfer.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/<str:action>/", views_transfer.transfer_act, name="transfer_act"),
    path("mobile/", views_transfer.contact_page, name="contact"),
    path("mobile/mark/", views_transfer.contact_mark, name="contact_mark"),
    path("mobile/<int:pk>/<str:action>/", views_transfer.contact_act, name="contact_act"),
    path("development/", views_development.pipeline, name="pipeline"),
    path("development/start/", views_development.case_start, name="development_start"),
    path("development/me/", views_development.my_case, name="development_mine"),
    path("development/<int:pk>/", views_development.case_detail, name="development_case"),
    path("development/<int:pk>/step/", views_development.step_record, name="development_step"),
    path("development/<int:pk>/extend/", views_development.case_extend, name="development_extend"),
    path("development/<int:pk>/stop/", views_development.case_stop, name="development_stop"),
    path("development/<int:pk>/steps/<int:step_pk>/attach/", views_development.step_attach, name="development_attach"),
]
