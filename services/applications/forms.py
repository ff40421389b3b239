"""Forms of the citizen's pages that are not the service's own questions (the rating), and
the form of one page of a service's questions."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.casework.constants import RatingTag
from services.casework.ratings import COMMENT_MAX, SCORE_LABELS
from services.catalog.models import Service
from services.catalog.schema import answers_form_class

RATING_AUTO_ID = "rating-%s"


def page_form(
    *, service: Service, fields: list[dict], data=None, initial: dict | None = None, verified: dict | None = None
) -> forms.Form:
    """A Django form with only the questions `fields` (one page of the service's form). A
    question filled from a verified attribute shows its value and source and cannot be
    changed here."""
    form_class = answers_form_class(service.form_schema)
    verified = verified or {}
    fixed = {f["name"]: verified[f["verified"]] for f in fields if f.get("verified") in verified}
    form = form_class(data=data, initial={**(initial or {}), **{k: a.plain for k, a in fixed.items()}})
    names = {f["name"] for f in fields}
    for name in list(form.fields):
        if name not in names:
            del form.fields[name]
        elif name in fixed:
            attribute = fixed[name]
            form.fields[name].disabled = True
            form.fields[name].help_text = _(
                "Verified by %(department)s on %(date)s. Wrong? Report it under “My data”."
            ) % {
                "department": attribute.registry.department.name,
                "date": attribute.verified_at.date().isoformat(),
            }
    return form


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how your application was handled?"),
        choices=list(SCORE_LABELS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how satisfied you are.")},
    )
    tags = forms.MultipleChoiceField(
        label=gettext_lazy("What stood out?"),
        choices=RatingTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        help_text=gettext_lazy("The department reads it. Do not write personal details such as ID numbers."),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", RATING_AUTO_ID)
        super().__init__(*args, **kwargs)

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary: each links to the first input of its
        field (no anchor for an error of the whole form). The messages name what to do, so
        they stand without the field's label (a question here)."""
        anchors = {"score": "rating-score_0", "tags": "rating-tags_0", "comment": "rating-comment"}
        links = [("", str(message)) for message in self.non_field_errors()]
        for name, anchor in anchors.items():
            links += [(anchor, str(message)) for message in self[name].errors]
        return links
