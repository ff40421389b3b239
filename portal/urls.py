from csp.decorators import csp_update
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, register_converter
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from services.accounts.api.views import TokenLogoutAllApi, TokenLogoutApi, TokenObtainApi
from services.analytics.api.views import OpenStatisticsApi
from services.applications.api.drafts import DraftApi, DraftConsentApi, DraftFileApi, DraftFileRemoveApi
from services.applications.api.ratings import ApplicationRatingApi
from services.applications.api.views import ApplicationCorrectionApi, ApplicationDetailApi, ApplicationListCreateApi
from services.casework.api.follow_ups import FollowUpListApi, FollowUpReplyApi
from services.casework.api.views import (
    TaskAssignApi,
    TaskBulkClaimApi,
    TaskClaimApi,
    TaskDecisionApi,
    TaskDetailApi,
    TaskListApi,
    TaskNoteApi,
    TaskRevealApi,
    TaskSearchApi,
)
from services.catalog.api.views import ServiceGuideApi, ServiceListApi
from services.catalog.views import service_list
from services.core.api import IdConverter, ReferenceConverter
from services.core.views import elder_mode
from services.notifications.views import sms_receipt
from services.records.api.views import LicenceVerifyApi

# API paths take only ids and references that can exist: anything else is a 404 (JSON under /api/).
register_converter(IdConverter, "id")
register_converter(ReferenceConverter, "reference")
handler404 = "services.core.api.api_not_found"

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="auth-logout"),
    path("auth/logout-all/", TokenLogoutAllApi.as_view(), name="auth-logout-all"),
    path("services/", ServiceListApi.as_view(), name="service-list"),
    path("services/<slug:code>/", ServiceGuideApi.as_view(), name="service-guide"),
    path("applications/", ApplicationListCreateApi.as_view(), name="application-list"),
    path("applications/<reference:reference>/", ApplicationDetailApi.as_view(), name="application-detail"),
    path(
        "applications/<reference:reference>/correction/",
        ApplicationCorrectionApi.as_view(),
        name="application-correction",
    ),
    path("applications/<reference:reference>/rating/", ApplicationRatingApi.as_view(), name="application-rating"),
    path("drafts/<slug:code>/", DraftApi.as_view(), name="draft"),
    path("drafts/<slug:code>/consent/", DraftConsentApi.as_view(), name="draft-consent"),
    path("drafts/<slug:code>/files/", DraftFileApi.as_view(), name="draft-files"),
    path("drafts/<slug:code>/files/<id:pk>/", DraftFileRemoveApi.as_view(), name="draft-file"),
    path("tasks/", TaskListApi.as_view(), name="task-list"),
    path("tasks/claim/", TaskBulkClaimApi.as_view(), name="task-claim-bulk"),
    path("tasks/search/", TaskSearchApi.as_view(), name="task-search"),
    path("tasks/<id:pk>/", TaskDetailApi.as_view(), name="task-detail"),
    path("tasks/<id:pk>/decision/", TaskDecisionApi.as_view(), name="task-decision"),
    path("tasks/<id:pk>/claim/", TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<id:pk>/notes/", TaskNoteApi.as_view(), name="task-notes"),
    path("tasks/<id:pk>/assign/", TaskAssignApi.as_view(), name="task-assign"),
    path("tasks/<id:pk>/reveal/", TaskRevealApi.as_view(), name="task-reveal"),
    path("follow-ups/", FollowUpListApi.as_view(), name="follow-up-list"),
    path("follow-ups/<id:pk>/reply/", FollowUpReplyApi.as_view(), name="follow-up-reply"),
    path("notifications/", include("services.notifications.api.urls")),
    path("licences/verify/<path:code>/", LicenceVerifyApi.as_view(), name="licence-verify"),
    path("open-data/statistics/", OpenStatisticsApi.as_view(), name="open-statistics"),
]

urlpatterns = [
    path("", service_list, name="home"),
    path("services/", include("services.catalog.urls")),
    path("", include("services.applications.urls")),
    path("accounts/", include("services.accounts.urls")),
    path("workbench/", include("services.casework.urls")),
    path("inbox/", include("services.notifications.urls")),
    path("notifications/sms/receipt/", sms_receipt, name="sms-receipt"),
    path("", include("services.records.urls")),
    path("", include("services.analytics.urls")),
    path("", include("services.monitoring.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("preferences/elder-mode/", elder_mode, name="elder-mode"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to refuse.
    # Swagger UI sets inline styles: allowed on this page only (no personal data on it).
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
]
