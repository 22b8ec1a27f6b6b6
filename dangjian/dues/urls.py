from django.urls import path

from . import views, views_admin

app_name = "dues"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("calculator/", views.calculator, name="calculator"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("branch/", views.branch, name="branch"),
    path("branch/pay/", views.pay, name="pay"),
    path("branch/generate/", views.generate, name="generate"),
]

urlpatterns += [
    path("declare/", views_admin.declare, name="declare"),
    path("branch/bases/", views_admin.bases, name="bases"),
    path("branch/bases/template.xlsx", views_admin.bases_template, name="bases_template"),
    path("branch/bases/<int:pk>/confirm/", views_admin.base_confirm, name="base_confirm"),
    path("branch/reductions/", views_admin.reductions, name="reductions"),
    path("branch/reductions/<int:pk>/decide/", views_admin.reduction_decide, name="reduction_decide"),
    path("branch/reconciliation/", views_admin.reconciliation, name="reconciliation"),
    path("branch/reconciliation/<int:pk>/resolve/", views_admin.line_resolve, name="line_resolve"),
    path("reports/", views_admin.report, name="report"),
    path("reports/close/", views_admin.close_month, name="close_month"),
]
