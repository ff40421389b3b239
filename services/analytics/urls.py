from django.urls import path

from services.analytics import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.dashboard, name="dashboard"),
    path("analytics/export/services.csv", views.export_services, name="export-services"),
    path("analytics/export/steps.csv", views.export_steps, name="export-steps"),
    path("open-data/", views.open_data, name="open-data"),
]
