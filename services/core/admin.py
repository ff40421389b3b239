"""The official holiday calendar in the admin: a system administrator enters a year's
arrangement (a range of days at once), corrects or removes a day; every change goes through
`core.calendar`, which moves the deadlines it crosses."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from services.core.calendar import MOST_DAYS_AT_ONCE, calendar_days_enter, calendar_days_remove
from services.core.models import CalendarDay
from services.core.workdays import package_says


class CalendarDayForm(forms.ModelForm):
    last = forms.DateField(
        label=_("last day"),
        required=False,
        help_text=_("For a range (a holiday of several days): the last day. Empty: the day alone."),
    )

    class Meta:
        model = CalendarDay
        fields = ["day", "last", "working", "name"]

    def clean(self):
        cleaned = super().clean() or {}
        first, last = cleaned.get("day"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The last day is before the first."))
            elif (last - first).days >= MOST_DAYS_AT_ONCE:
                self.add_error("last", _("Enter at most %(days)s days at once.") % {"days": MOST_DAYS_AT_ONCE})
        return cleaned

    def validate_unique(self):
        """Entering a day again corrects it (the action updates it)."""


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["day", "weekday", "working", "name", "package"]
    list_filter = ["working"]
    date_hierarchy = "day"
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return ["day"] if obj else []

    def get_fields(self, request, obj=None):
        return ["day", "working", "name"] if obj else ["day", "last", "working", "name"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return obj.day.strftime("%a")

    @admin.display(description=_("the package says"))
    def package(self, obj: CalendarDay) -> str:
        says = package_says(obj.day)
        if says is None:
            return str(_("not known"))
        return str(_("working day") if says else _("day off"))

    def save_model(self, request, obj, form, change):
        entered = calendar_days_enter(
            first=obj.day, last=form.cleaned_data.get("last"), working=obj.working, name=obj.name
        )
        obj.pk = entered[0].pk

    def delete_model(self, request, obj):
        calendar_days_remove(days=[obj.day])

    def delete_queryset(self, request, queryset):
        calendar_days_remove(days=list(queryset.values_list("day", flat=True)))
