"""Reads of the case: the staff member's queue and steps, and what the citizen's pages show
of a running case (its departments now, the open correction, the timeline, the predicted
date, the rating). Every read for a person goes through a permission-checked function:
another citizen's case, or another department's step, is "not found"."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.models import Department
from services.accounts.selectors import (
    department_colleagues,
    staff_department_ids,
    staff_is_department_admin,
    staff_work_scopes,
)
from services.audit.constants import Action
from services.audit.models import Outcome
from services.audit.trail import audit_record
from services.casework.constants import OPEN_STATUSES, ApplicationStatus, DeadlineState, StepStatus
from services.casework.deadlines import deadline_state
from services.casework.models import Application, CaseEvent, CaseNote, CorrectionRequest, FollowUp, Rating, Step
from services.casework.ratings import follow_up_not_found
from services.catalog.schema import answer_display, schema_field_types, schema_questions
from services.core.crypto import blind_index
from services.core.errors import InvalidInput, NotFound
from services.core.masking import mask_id_number, mask_mobile
from services.core.middleware import current_request
from services.core.workdays import add_working_days, start_of_day

QUEUE_PAGE_SIZE = 50
# Answers of these types are masked on staff screens until revealed with a reason.
MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}
MASKED_FIELD_TYPES = tuple(MASKS)


# The citizen's case ------------------------------------------------------------------


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


def application_for_key(*, citizen, key: str | None) -> Application | None:
    """The case a citizen's earlier request with this idempotency key made, if any."""
    if not key:
        return None
    return Application.objects.filter(citizen=citizen, idempotency_key=key).first()


def application_events(*, application: Application) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(application=application).select_related("department", "actor").order_by("at", "pk")


def case_departments_now(*, application: Application) -> list[Department]:
    """The departments that hold the case now: those with an open step."""
    steps = Step.objects.filter(application=application, status=StepStatus.OPEN).select_related("department")
    return [step.department for step in steps]


def case_open_correction(*, application: Application) -> CorrectionRequest | None:
    """The correction request the citizen has still to answer, if any."""
    return CorrectionRequest.objects.filter(application=application, resolved_at=None).first()


def application_predicted_date(*, application: Application) -> date | None:
    """When the citizen can expect the decision: the typical time of this service's recent
    decided cases, counted from submission, never later than the promised date."""
    if application.status not in OPEN_STATUSES:
        return None
    recent = [
        days
        for days in Application.objects.filter(
            service_id=application.service_id,
            status=ApplicationStatus.APPROVED,
            processing_working_days__isnull=False,
        )
        .order_by("-decided_at")
        .values_list("processing_working_days", flat=True)[:50]
        if days is not None  # never None (filtered above): the check narrows the type
    ]
    if len(recent) < 5:
        return application.due_date
    typical = sorted(recent)[len(recent) // 2]
    return min(application.due_date, add_working_days(timezone.localdate(application.submitted_at), typical))


def rating_for_application(*, application: Application) -> Rating | None:
    """The case's rating with its follow-up (None when not rated yet)."""
    return Rating.objects.filter(application=application).select_related("follow_up", "follow_up__department").first()


def follow_up_is_overdue(follow_up: FollowUp, today: date | None = None) -> bool:
    return follow_up.replied_at is None and follow_up.due_date < (today or timezone.localdate())


# The staff member's queue and steps ---------------------------------------------------


def steps_visible_to(*, user) -> Q:
    """Steps of the user's departments that the user's role there works on. Nothing for a
    user with no department role: the Q matches no row."""
    condition = Q(pk__in=[])
    for department_id, step_roles in staff_work_scopes(user=user):
        condition |= Q(department_id=department_id, role__in=step_roles)
    return condition


QUEUE_ROW_FIELDS = (
    "application_id",
    "stage_step_id",
    "department_id",
    "service_id",
    "assignee_id",
    "stage_position",
    "role",
    "status",
    "automatic_check",
    "created_at",
    "submitted_at",
    "due_soon_on",
    "due_date",
    "application__reference",
    "application__status",
    "application__citizen_id",
    "service__code",
    "service__name_zh",
    "service__name_en",
    "department__code",
    "department__name_zh",
    "department__name_en",
    "stage_step__name_zh",
    "stage_step__name_en",
    "assignee__username",
    "assignee__full_name",
)


def step_list_open_for_staff(*, user) -> QuerySet[Step]:
    """Open steps the user may work on (automatic ones are the machine's), most urgent first."""
    return (
        Step.objects.filter(steps_visible_to(user=user), status=StepStatus.OPEN, automatic_check="")
        .select_related("application", "service", "department", "stage_step", "assignee")
        # Only what a queue row shows: the answers stay in the database (encrypted), and the
        # service's form schema is not read fifty times over.
        .only(*QUEUE_ROW_FIELDS)
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class QueueFilters:
    service: str = ""
    assignment: str = ""  # "", "mine" or "unclaimed"
    deadline: str = ""  # a DeadlineState value, or ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    reference: str = ""
    id_number: str = ""


def _deadline_filter(state: str, today: date) -> Q:
    running = Q(application__status=ApplicationStatus.IN_REVIEW)
    if state == DeadlineState.PAUSED:
        return Q(application__status=ApplicationStatus.CORRECTION)
    if state == DeadlineState.OVERDUE:
        return running & Q(due_date__lt=today)
    if state == DeadlineState.DUE_SOON:
        return running & Q(due_soon_on__lte=today, due_date__gte=today)
    return running & Q(due_soon_on__gt=today)


def cursor_encode(step: Step) -> str:
    return f"{step.due_date.isoformat()}.{step.pk}"


def cursor_decode(cursor: str) -> tuple[date, int]:
    try:
        day, _dot, pk = cursor.partition(".")
        return date.fromisoformat(day), int(pk)
    except ValueError:
        raise InvalidInput(_("This page link is not valid. Start again from the first page."), errors={}) from None


def step_queue(
    *, user, filters: QueueFilters, cursor: str = "", limit: int = QUEUE_PAGE_SIZE
) -> tuple[list[Step], str]:
    """A page of the user's queue, most urgent first, and the cursor of the next page ("" at
    the end). Paged by key (due date, id), so that page 1000 costs what page 1 costs."""
    queryset = step_list_open_for_staff(user=user)
    if filters.service:
        queryset = queryset.filter(service__code=filters.service)
    if filters.assignment == "mine":
        queryset = queryset.filter(assignee=user)
    elif filters.assignment == "unclaimed":
        queryset = queryset.filter(assignee__isnull=True)
    if filters.deadline:
        queryset = queryset.filter(_deadline_filter(filters.deadline, timezone.localdate()))
    # Whole local days as a time range: the index can use it, a date cast it could not.
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__gte=start_of_day(filters.submitted_from))
    if filters.submitted_to:
        queryset = queryset.filter(submitted_at__lt=start_of_day(filters.submitted_to + timedelta(days=1)))
    if filters.reference:
        queryset = queryset.filter(application__reference=filters.reference.strip())
    if filters.id_number:
        # Found through the keyed blind index: the number itself is stored only encrypted.
        queryset = queryset.filter(application__identities__digest=blind_index(filters.id_number))
    if cursor:
        after_date, after_pk = cursor_decode(cursor)
        queryset = queryset.filter(Q(due_date__gt=after_date) | Q(due_date=after_date, pk__gt=after_pk))
    steps = list(queryset[: limit + 1])
    next_cursor = cursor_encode(steps[limit - 1]) if len(steps) > limit else ""
    return steps[:limit], next_cursor


def steps_with_deadline_state(steps: list[Step]) -> list[Step]:
    """Each step with its `deadline_state` and its label, for display (the case's clock may
    be stopped)."""
    today = timezone.localdate()
    for step in steps:
        step.deadline_state = deadline_state(
            step=step, today=today, paused=step.application.status == ApplicationStatus.CORRECTION
        )
        step.deadline_label = str(DeadlineState(step.deadline_state).label)
    return steps


def step_get_for_staff(*, user, pk: int) -> Step:
    """A step of the user's own departments; any other is 'not found'."""
    step = (
        Step.objects.filter(steps_visible_to(user=user), pk=pk)
        .select_related(
            "application",
            "application__service",
            "application__citizen",
            "department",
            "stage_step",
            "decided_by",
            "assignee",
        )
        .first()
    )
    if step is None:
        # Recorded for the security monitoring: repeated tries at other departments' cases.
        audit_record(
            Action.OBJECT_REFUSED,
            request=current_request(),
            actor=user,
            object_type="step",
            object_id=pk,
            outcome=Outcome.REFUSED,
        )
        raise NotFound(_("This step does not exist or is not in your department's queue."))
    return step


def step_is_administered_by(*, step: Step, user) -> bool:
    """Whether the user administers the step's department (and so may assign it)."""
    return staff_is_department_admin(user=user, department_id=step.department_id)


def step_colleagues(*, step: Step) -> list:
    """Staff of the step's department whose role works on such steps: who it may be assigned to."""
    return department_colleagues(department_id=step.department_id, step_role=step.role)


def staff_step_in_case(*, user, application_id: int) -> Step | None:
    """A step of the case in one of the user's departments: what lets staff open the case's
    files (and what the data-access log names). None when their departments have none."""
    return (
        Step.objects.filter(application_id=application_id, department_id__in=staff_department_ids(user=user))
        .select_related("department")
        .first()
    )


def case_notes(*, application_id: int) -> QuerySet[CaseNote]:
    return CaseNote.objects.filter(application_id=application_id).select_related("author").order_by("created_at", "pk")


def case_answers_for_staff(*, application: Application, revealed: dict | None = None) -> list:
    """The answers by question group, with resident ID and mobile numbers masked: staff
    screens never show them in full unless revealed, with a reason, for one response."""
    schema = application.service.form_schema
    types = schema_field_types(schema)
    revealed = revealed or {}
    result = []
    for title, fields in schema_questions(schema):
        rows = []
        for name, label in fields:
            if name not in application.answers:
                continue
            value = answer_display(schema, name, application.answers[name])
            masked = types[name] in MASKS
            if masked and name not in revealed:
                value = MASKS[types[name]](value)
            rows.append({"name": name, "label": label, "value": value, "masked": masked and name not in revealed})
        result.append((title, rows))
    return result


# Follow-ups of bad ratings, for staff ---------------------------------------------------


def _follow_ups_for_staff(user) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(department_id__in=staff_department_ids(user=user)).select_related(
        "rating", "rating__application", "rating__application__service", "department", "replied_by"
    )


def follow_up_list_for_staff(*, user) -> QuerySet[FollowUp]:
    """The open follow-ups of the user's departments, the oldest due first."""
    return _follow_ups_for_staff(user).filter(replied_at__isnull=True).order_by("due_date", "pk")


def follow_up_get_for_staff(*, user, pk: int) -> FollowUp:
    """A follow-up of the user's own departments, open or answered; any other is 'not found'."""
    follow_up = _follow_ups_for_staff(user).filter(pk=pk).first()
    if follow_up is None:
        raise follow_up_not_found()
    return follow_up


def steps_open_by_deadline_state(*, today: date | None = None) -> dict[tuple[str, str], int]:
    """The open steps of every department by deadline state (the workbench's filter, so the
    two always agree), for the operators' metrics: one grouped query, no personal data."""
    today = today or timezone.localdate()
    states = list(DeadlineState)
    rows: Any = (
        Step.objects.filter(status=StepStatus.OPEN)
        .values("department__code")
        .annotate(**{state.value: Count("pk", filter=_deadline_filter(state, today)) for state in states})
        .order_by()
    )
    return {(row["department__code"], state.value): row[state.value] for row in rows for state in states}
