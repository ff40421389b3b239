from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.constants import StaffRole
from services.accounts.models import Membership
from services.applications.constants import ApplicationStatus
from services.casework.constants import STEP_ROLES_FOR_STAFF_ROLE, DeadlineState, StepStatus
from services.casework.models import CaseNote, Step
from services.core.crypto import blind_index
from services.core.errors import InvalidInput, NotFound
from services.core.workdays import start_of_day

QUEUE_PAGE_SIZE = 50


def steps_visible_to(*, user) -> Q:
    """Steps of the user's departments that the user's role there works on. Nothing for a
    user with no department role: the Q matches no row."""
    condition = Q(pk__in=[])
    if not (user.is_authenticated and getattr(user, "is_portal_staff", False)):
        return condition
    for department_id, role in Membership.objects.filter(user=user, department__isnull=False).values_list(
        "department_id", "role"
    ):
        step_roles = STEP_ROLES_FOR_STAFF_ROLE.get(role)
        if step_roles:
            condition |= Q(department_id=department_id, role__in=step_roles)
    return condition


def step_list_open_for_staff(*, user) -> QuerySet[Step]:
    """Open steps the user may work on (automatic ones are the machine's), most urgent first."""
    return (
        Step.objects.filter(steps_visible_to(user=user), status=StepStatus.OPEN, automatic_check="")
        .select_related("application", "service", "department", "stage_step", "assignee")
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


def staff_is_department_admin(*, user, department_id: int) -> bool:
    return Membership.objects.filter(user=user, department_id=department_id, role=StaffRole.DEPARTMENT_ADMIN).exists()


def department_colleagues_for(*, step: Step) -> list:
    """Staff of the step's department whose role works on such steps: who it may be assigned to."""
    roles = [staff for staff, step_roles in STEP_ROLES_FOR_STAFF_ROLE.items() if step.role in step_roles]
    memberships = (
        Membership.objects.filter(department_id=step.department_id, role__in=roles)
        .select_related("user")
        .order_by("user__username")
    )
    return list({m.user_id: m.user for m in memberships}.values())


def case_notes(*, application_id: int) -> QuerySet[CaseNote]:
    return CaseNote.objects.filter(application_id=application_id).select_related("author").order_by("created_at", "pk")


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
        raise NotFound(_("This step does not exist or is not in your department's queue."))
    return step
