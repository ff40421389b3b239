from django.urls import path

from services.records import views

app_name = "records"
urlpatterns = [
    path("my/data-use/", views.my_data_use, name="my-data-use"),
    path("audit/data-access/", views.audit_data_access, name="audit"),
    path("my/wallet/", views.wallet, name="wallet"),
    path("my/data/", views.my_data, name="my-data"),
    path("my/wallet/<int:pk>/file/", views.wallet_file, name="wallet-file"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify-code"),
]
