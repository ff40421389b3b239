import re

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.analytics.forms import PeriodForm
from services.analytics.open_data import SMALLEST_PUBLISHED, open_statistics
from services.catalog.models import Service
from services.core.cache import public_data
from services.core.errors import InvalidInput
from services.core.replica import statistics_view

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


class ServiceMonthOut(serializers.Serializer):
    service = serializers.CharField(help_text="The service's code.")
    service_name_zh = serializers.CharField()
    service_name_en = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM, in China Standard Time.")
    received = serializers.IntegerField(allow_null=True, help_text="Applications submitted; null when under five.")
    decided = serializers.IntegerField(allow_null=True, help_text="Approved or rejected; null when under five.")
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="Percent decided by the due date; null when it would reveal a count under five."
    )


class OpenStatisticsOut(serializers.Serializer):
    month_from = serializers.CharField()
    month_to = serializers.CharField()
    smallest_published_count = serializers.IntegerField()
    results = ServiceMonthOut(many=True)


class OpenStatisticsApi(APIView):
    """Public statistics (open data): applications received and decided, and the on-time rate,
    per published service and month. Counts under five are withheld (null). Anyone may ask."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter("month_from", str, description="YYYY-MM; default eleven months before month_to."),
            OpenApiParameter("month_to", str, description="YYYY-MM; default the current month."),
            OpenApiParameter("service", str, description="A service's code, to see only that service."),
        ],
        responses={200: OpenStatisticsOut},
    )
    @method_decorator(statistics_view)
    def get(self, request):
        form = PeriodForm(request.query_params)
        errors: dict[str, list[str]] = (
            {} if form.is_valid() else {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        )
        service = None
        code = request.query_params.get("service")
        if code:
            # A code is a slug: anything else (a NUL byte, say) is refused before the database sees it.
            service = Service.objects.filter(code=code, is_published=True).first() if _SLUG.match(code) else None
            if service is None:
                errors["service"] = [_("No published service has this code.")]
        if errors:
            raise InvalidInput(_("Some of the input needs your attention."), errors=errors)
        data = form.cleaned_data
        rows = public_data(
            request,
            lambda: open_statistics(
                month_from=data["month_from"], month_to=data["month_to"], service_id=service.pk if service else None
            ),
        )
        body = {
            "month_from": f"{data['month_from']:%Y-%m}",
            "month_to": f"{data['month_to']:%Y-%m}",
            "smallest_published_count": SMALLEST_PUBLISHED,
            "results": rows,
        }
        return Response(OpenStatisticsOut(body).data)
