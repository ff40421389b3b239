from django.urls import path

from services.records import views

app_name = "records"
urlpatterns = [
    path("my/data-use/", views.my_data_use, name="my-data-use"),
    path("audit/data-access/", views.audit_data_access, name="audit"),
]
