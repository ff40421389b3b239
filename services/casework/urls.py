from django.urls import path

from services.casework import views

app_name = "casework"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("steps/<int:pk>/", views.step_detail, name="step"),
    path("steps/<int:pk>/decide/", views.step_decide, name="decide"),
]
