from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.analytics.actions import months_back
from services.catalog.models import Service

# Summary rows are cheap, but a page of ten years of months is not readable on a phone.
MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "inputmode": "numeric", "placeholder": "2026-01"})
    default_error_messages = {"invalid": _("Enter a month as year and month, like 2026-01.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = _MONTH.match(value.strip())
        # No case is older than the portal, none is from the years ahead.
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= timezone.localdate().year + 1:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


class PeriodForm(forms.Form):
    """A period of whole months; the last twelve months unless chosen. With no month chosen
    the form is filled with those twelve, so that it shows the period the figures are for."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("month_from") and not data.get("month_to"):
            this_month = timezone.localdate().replace(day=1)
            data = data.copy()
            data["month_from"], data["month_to"] = f"{months_back(this_month, 11):%Y-%m}", f"{this_month:%Y-%m}"
        super().__init__(data, *args, **kwargs)

    month_from = MonthField(label=_("From month"), required=False)
    month_to = MonthField(label=_("To month"), required=False)

    def clean(self):
        data = super().clean()
        if data is None:
            # Django keeps cleaned_data when clean() returns None; forms.Form returns it.
            data = self.cleaned_data
        this_month = timezone.localdate().replace(day=1)
        month_to = data.get("month_to") or this_month
        month_from = data.get("month_from") or months_back(month_to, 11)
        if "month_from" in self.errors or "month_to" in self.errors:
            return data
        if month_from > month_to:
            self.add_error("month_to", _("The end month cannot be before the start month."))
        elif months_back(month_to, MAX_MONTHS - 1) > month_from:
            self.add_error("month_from", _("Choose at most %(count)s months.") % {"count": MAX_MONTHS})
        data["month_from"], data["month_to"] = month_from, month_to
        return data


class DashboardForm(PeriodForm):
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Department"), to_field_name="code"
    )
    service: forms.ModelChoiceField[Service] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Service"), to_field_name="code"
    )

    def __init__(self, *args, departments, services, city_wide: bool, department_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        department, service = self.fields["department"], self.fields["service"]
        if not isinstance(department, forms.ModelChoiceField) or not isinstance(service, forms.ModelChoiceField):
            raise TypeError("department and service are model choice fields")
        department.queryset = departments
        if city_wide:
            department.empty_label = _("All departments")
        else:
            department.empty_label = _("All my departments") if department_count > 1 else None
        service.queryset = services
        service.empty_label = _("All services")
