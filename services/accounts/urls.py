from django.urls import path

from services.accounts import oidc_views, views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="login"),
    path("signout/", views.SignOutView.as_view(), name="logout"),
    path("oidc/start/", oidc_views.SignInStart.as_view(), name="oidc-start"),
    path("oidc/callback/", oidc_views.SignInCallback.as_view(), name="oidc-callback"),
    path("register/", views.register, name="register"),
    path("register/confirm/", views.register_confirm, name="register-confirm"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/confirm/", views.password_reset_confirm, name="password-reset-confirm"),
    path("mobile/", views.mobile_change, name="mobile"),
    path("mobile/confirm/", views.mobile_change_confirm, name="mobile-confirm"),
    path("staff/locked/", views.staff_locks, name="staff-locks"),
    path("staff/second-factor/", views.staff_second_factor_reset, name="staff-second-factor-reset"),
    path("devices/", views.devices, name="devices"),
    path("second-factor/", views.second_factor_page, name="second-factor"),
]
