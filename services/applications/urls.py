from django.urls import path

from services.applications import apply_views, rating_views, views

app_name = "applications"
urlpatterns = [
    path("services/<slug:code>/", views.service_guide, name="guide"),
    path("services/<slug:code>/apply/", apply_views.application_apply, name="apply"),
    path(
        "services/<slug:code>/apply/files/<int:upload_id>/remove/",
        apply_views.application_upload_remove,
        name="apply-upload-remove",
    ),
    path("services/<slug:code>/apply/data/", apply_views.application_fetches, name="apply-fetches"),
    path("services/<slug:code>/apply/<slug:page>/", apply_views.application_page, name="apply-page"),
    path("services/<slug:code>/apply/<slug:page>/save/", apply_views.application_autosave, name="apply-save"),
    path("my/applications/", views.application_list, name="mine"),
    path("my/applications/<str:reference>/", views.application_detail, name="detail"),
    path("my/applications/<str:reference>/submitted/", views.application_submitted, name="submitted"),
    path("my/applications/<str:reference>/correction/", views.application_correction, name="correction"),
    path("my/applications/<str:reference>/rating/", rating_views.application_rating, name="rating"),
    path("my/applications/<str:reference>/withdraw/", views.application_withdraw, name="withdraw"),
    path("my/applications/<str:reference>/materials/", views.application_material, name="material"),
    path("files/<int:pk>/", views.upload_download, name="file"),
]
