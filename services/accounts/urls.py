from django.contrib.auth.views import LogoutView
from django.urls import path

from services.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="login"),
    path("signout/", LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("staff/locked/", views.staff_locks, name="staff-locks"),
]
