from django.db.models import QuerySet
from django.utils.translation import gettext as _

from services.applications.models import Application, CaseEvent
from services.core.errors import NotFound


def application_list_for_citizen(*, citizen) -> QuerySet[Application]:
    return Application.objects.filter(citizen=citizen).select_related("service").order_by("-submitted_at", "-pk")


def application_get_for_citizen(*, citizen, reference: str) -> Application:
    """The citizen's own case. Anyone else's is 'not found', never 'forbidden', so that
    reference numbers reveal nothing."""
    application = (
        Application.objects.filter(citizen=citizen, reference=reference)
        .select_related("service", "service__lead_department")
        .first()
    )
    if application is None or not citizen.is_authenticated:
        raise NotFound(_("No application with this reference number was found in your account."))
    return application


def application_events(*, application: Application) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(application=application).select_related("department", "actor").order_by("at", "pk")
