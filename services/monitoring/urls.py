from django.urls import path

from services.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("security/", views.security_home, name="home"),
    path("security/alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("security/audit/", views.audit_trail, name="audit-trail"),
]
