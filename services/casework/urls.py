from django.urls import path

from services.casework import follow_up_views, views

app_name = "casework"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("claim/", views.steps_claim, name="claim-bulk"),
    path("steps/<int:pk>/", views.step_detail, name="step"),
    path("steps/<int:pk>/decide/", views.step_decide, name="decide"),
    path("steps/<int:pk>/claim/", views.step_claim, name="claim"),
    path("steps/<int:pk>/notes/", views.step_note, name="note"),
    path("steps/<int:pk>/assign/", views.step_assign, name="assign"),
    path("steps/<int:pk>/reveal/", views.step_reveal, name="reveal"),
    path("follow-ups/", follow_up_views.follow_up_list, name="follow-ups"),
    path("follow-ups/<int:pk>/", follow_up_views.follow_up_detail, name="follow-up"),
    path("follow-ups/<int:pk>/reply/", follow_up_views.follow_up_reply, name="follow-up-reply"),
]
