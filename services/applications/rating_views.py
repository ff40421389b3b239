"""The citizen rates a finished case (好差评) on its page. The form is in
`templates/applications/_rating.html`; without JavaScript it posts and the page comes back,
with htmx only the rating panel is replaced."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.applications.forms import RatingForm

# The full page around the form: the same context as the case page itself.
from services.applications.views import _detail_context
from services.casework import ratings
from services.casework import selectors as case_selectors
from services.core.errors import InvalidInput, PortalError
from services.core.views import citizen_required, or_404


@citizen_required
@require_POST
def application_rating(request, reference: str):
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
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
