from datetime import date

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.analytics.actions import months_back
from services.analytics.forms import MAX_MONTHS
from services.analytics.open_data import SMALLEST_PUBLISHED, open_statistics
from services.catalog.models import Service
from services.core.api import QuerySerializer, error_responses
from services.core.cache import public_data
from services.core.errors import NotFound
from services.core.replica import statistics_view


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


class MonthField(serializers.RegexField):
    """YYYY-MM of this century; months without cases have no rows."""

    def __init__(self, **kwargs):
        super().__init__(r"^20[0-9]{2}-(?:0[1-9]|1[0-2])$", required=False, **kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)  # the pattern checked
        return date(int(value[:4]), int(value[5:]), 1)


class OpenStatisticsQuery(QuerySerializer):
    month_from = MonthField(
        help_text=f"YYYY-MM; default eleven months before month_to. At most {MAX_MONTHS} months are "
        "answered: the last ones up to month_to (the answer's month_from says which)."
    )
    month_to = MonthField(help_text="YYYY-MM; default the current month. Before month_from, no month is answered.")
    service = serializers.SlugField(
        required=False, max_length=60, help_text="A service's code, to see only that service (404 if none has it)."
    )


class OpenStatisticsApi(APIView):
    """Public statistics (open data): applications received and decided, and the on-time rate,
    per published service and month. Counts under five are withheld (null). Anyone may ask."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(parameters=[OpenStatisticsQuery], responses={200: OpenStatisticsOut, **error_responses(404)})
    @method_decorator(statistics_view)
    def get(self, request):
        query = OpenStatisticsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        service = None
        if "service" in data:
            service = Service.objects.filter(code=data["service"], is_published=True).first()
            if service is None:
                raise NotFound(_("No published service has this code."))
        month_to = data.get("month_to") or timezone.localdate().replace(day=1)
        month_from = data.get("month_from") or months_back(month_to, 11)
        # A period is answered as far as it goes: the last MAX_MONTHS months of a longer one, and
        # nothing for one that ends before it starts (the answer names the months it covers).
        month_from = max(month_from, months_back(month_to, MAX_MONTHS - 1))
        rows = (
            public_data(
                request,
                lambda: open_statistics(
                    month_from=month_from, month_to=month_to, service_id=service.pk if service else None
                ),
            )
            if month_from <= month_to
            else []
        )
        body = {
            "month_from": f"{month_from:%Y-%m}",
            "month_to": f"{month_to:%Y-%m}",
            "smallest_published_count": SMALLEST_PUBLISHED,
            "results": rows,
        }
        return Response(OpenStatisticsOut(body).data)
