from django.urls import path

from . import views

app_name = "dues"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("calculator/", views.calculator, name="calculator"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("branch/", views.branch, name="branch"),
    path("branch/pay/", views.pay, name="pay"),
    path("branch/generate/", views.generate, name="generate"),
]
