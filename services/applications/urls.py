from django.urls import path

from services.applications import views

app_name = "applications"
urlpatterns = [
    path("services/<slug:code>/apply/", views.application_apply, name="apply"),
    path("my/applications/", views.application_list, name="mine"),
    path("my/applications/<str:reference>/", views.application_detail, name="detail"),
    path("my/applications/<str:reference>/submitted/", views.application_submitted, name="submitted"),
    path("my/applications/<str:reference>/correction/", views.application_correction, name="correction"),
]
