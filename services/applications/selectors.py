from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from services.applications.constants import OPEN_STATUSES
from services.applications.models import Application, CaseEvent, CorrectionRequest, Draft, Upload
from services.core.errors import NotFound
from services.core.workdays import add_working_days, working_days_between


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


def draft_list_for_citizen(*, citizen) -> QuerySet[Draft]:
    return Draft.objects.filter(citizen=citizen).select_related("service").order_by("-updated_at")


def upload_get_for_user(*, user, pk: int) -> Upload:
    """A file its owner may see, and staff of a department with a step in its case; to anyone
    else it does not exist. For staff, `upload.staff_step` is the step that lets them see it
    (what the data-access log names)."""
    upload = Upload.objects.filter(pk=pk).select_related("application").first()
    if upload is None or not user.is_authenticated:
        raise NotFound(_("This file does not exist or is not yours to see."))
    if upload.owner_id == user.pk:
        return upload
    if getattr(user, "is_portal_staff", False) and upload.application_id:
        from services.accounts.models import Membership

        departments = Membership.objects.filter(user=user, department__isnull=False).values("department_id")
        # Steps live in casework; a department with any step in the case may see its files.
        upload.staff_step = (
            upload.application.steps.filter(department_id__in=departments).select_related("department").first()
        )
        if upload.staff_step is not None:
            return upload
    raise NotFound(_("This file does not exist or is not yours to see."))


def application_materials(*, application: Application) -> list[dict]:
    """Each material of the case with its files; one allowed to follow later (容缺) and not
    here yet has its last day."""
    uploads = list(Upload.objects.filter(application=application).order_by("pk"))
    evidence = {e.material_id: e.document for e in application.evidence.select_related("document__document_type")}
    submitted_on = timezone.localdate(application.submitted_at)
    rows = []
    for material in application.service.materials.all():
        mine = [u for u in uploads if u.material_id == material.pk]
        held = evidence.get(material.pk)
        owed = material.required and material.deferrable_days and not mine and not held
        rows.append(
            {
                "material": material,
                "uploads": mine,
                "from_wallet": held,
                "owed_by": add_working_days(submitted_on, material.deferrable_days) if owed else None,
            }
        )
    return rows


def application_predicted_date(*, application: Application):
    """When the citizen can expect the decision: the typical time of this service's recent
    decided cases, counted from submission, never later than the promised date."""
    if application.status not in OPEN_STATUSES:
        return None
    recent = list(
        Application.objects.filter(
            service_id=application.service_id, status="completed", processing_working_days__isnull=False
        )
        .order_by("-decided_at")
        .values_list("processing_working_days", flat=True)[:50]
    )
    if len(recent) < 5:
        return application.due_date
    typical = sorted(recent)[len(recent) // 2]
    return min(application.due_date, add_working_days(timezone.localdate(application.submitted_at), typical))


def working_days_less_waiting(*, application_id: int, start, end, since=None) -> int:
    """Working days after `start` up to `end`, less those the case waited for the citizen:
    the paused days of its corrections (only those resolved since `since`, when given)."""
    corrections = CorrectionRequest.objects.filter(application_id=application_id)
    if since is not None:
        corrections = corrections.filter(resolved_at__gte=since)
    paused = sum(corrections.values_list("paused_working_days", flat=True))
    return max(working_days_between(start, end) - paused, 0)
