from django.urls import path

from . import claim, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_otp_view, name="login_otp"),
    path("claim/", claim.claim_view, name="claim"),
    path("claim/password/", claim.claim_password_view, name="claim_password"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("2fa/setup/", views.totp_setup_view, name="totp_setup"),
    path("me/", views.profile_view, name="profile"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("users/", views.user_admin_view, name="user_admin"),
    path("users/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:pk>/reset-2fa/", views.user_reset_2fa_view, name="user_reset_2fa"),
]
