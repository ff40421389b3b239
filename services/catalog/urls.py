from django.urls import path

from services.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.service_list, name="list"),
]
