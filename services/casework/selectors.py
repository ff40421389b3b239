from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from services.accounts.models import Membership
from services.casework.constants import STEP_ROLES_FOR_STAFF_ROLE, StepStatus
from services.casework.models import Step
from services.core.errors import NotFound


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
    """Open steps the user may work on, oldest first."""
    return (
        Step.objects.filter(steps_visible_to(user=user), status=StepStatus.OPEN)
        .select_related("application", "application__service", "department", "stage_step")
        .order_by("created_at", "pk")
    )


def step_get_for_staff(*, user, pk: int) -> Step:
    """A step of the user's own departments; any other is 'not found'."""
    step = (
        Step.objects.filter(steps_visible_to(user=user), pk=pk)
        .select_related(
            "application", "application__service", "application__citizen", "department", "stage_step", "decided_by"
        )
        .first()
    )
    if step is None:
        raise NotFound(_("This step does not exist or is not in your department's queue."))
    return step
