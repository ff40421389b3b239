from django.urls import path

from services.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_mark_all_read, name="read-all"),
    path("<int:pk>/", views.notification_open, name="open"),
]
