"""The citizen rates a finished case (好差评) on its page. The form is in
`templates/applications/_rating.html`; without JavaScript it posts and the page comes back,
with htmx only the rating panel is replaced."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from services.applications import ratings, selectors
from services.applications.constants import RatingTag

# The full page around the form: the same context as the case page itself.
from services.applications.views import _detail_context
from services.core.errors import InvalidInput, PortalError
from services.core.views import citizen_required, or_404

RATING_AUTO_ID = "rating-%s"


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how your application was handled?"),
        choices=list(ratings.SCORE_LABELS.items()),
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
        max_length=ratings.COMMENT_MAX,
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
        links = [("", message) for message in self.non_field_errors()]
        for name, anchor in anchors.items():
            links += [(anchor, message) for message in self[name].errors]
        return links


@citizen_required
@require_POST
def application_rating(request, reference: str):
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    form = RatingForm(request.POST)
    error, status = None, 400
    if form.is_valid():
        try:
            ratings.application_rate(application_id=application.pk, citizen=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            for field, field_messages in exc.errors.items():
                form.add_error(field if field in form.fields else None, field_messages)
            error = exc.message
        except PortalError as exc:
            error, status = exc.message, exc.status
        else:
            if request.htmx:
                return render(request, "applications/_rating.html", {"application": application, "rating_thanks": True})
            messages.success(request, _("Thank you for your rating."))
            return redirect(reverse("applications:detail", args=[reference]) + "#rating")
    else:
        error = _("Check your rating.")
    if request.htmx:
        context = {"application": application}
        template = "applications/_rating.html"
    else:
        context = _detail_context(application)
        template = "applications/application_detail.html"
    context.update(rating_form=form, rating_error=error)
    return render(request, template, context, status=status)
