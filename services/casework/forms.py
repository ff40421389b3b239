from django import forms
from django.utils.translation import gettext_lazy as _

from services.casework.constants import DeadlineState
from services.casework.selectors import QueueFilters
from services.core.validators import normalize_id_number, validate_id_number


class QueueFilterForm(forms.Form):
    reference = forms.CharField(label=_("Reference number"), required=False, max_length=20)
    service = forms.SlugField(label=_("Service code"), required=False, max_length=60)
    assignment = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Everyone's")), ("mine", _("Mine")), ("unclaimed", _("Not claimed"))],
    )
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, choices=[("", _("Any")), *DeadlineState.choices])
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def clean(self):
        data = super().clean()
        if data is None:
            # Django keeps cleaned_data when clean() returns None; forms.Form returns it.
            data = self.cleaned_data
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("The end date is before the start date."))
        return data

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            service=data.get("service") or "",
            assignment=data.get("assignment") or "",
            deadline=data.get("deadline") or "",
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
            reference=data.get("reference") or "",
        )


class IdNumberSearchForm(forms.Form):
    """Finding cases by a person's ID number is a POST: the number never goes into an
    address, a log line or the browser's history."""

    id_number = forms.CharField(label=_("Resident ID number of a person in the case"), max_length=18)

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        validate_id_number(value)
        return normalize_id_number(value)
