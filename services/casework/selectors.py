from django.db.models import QuerySet
from django.utils.translation import gettext as _

from services.accounts.selectors import staff_department_ids
from services.casework.constants import StepStatus
from services.casework.models import Step
from services.core.errors import NotFound


def step_list_open_for_staff(*, user) -> QuerySet[Step]:
    """Open steps of the departments the user works in, oldest first."""
    return (
        Step.objects.filter(department_id__in=staff_department_ids(user=user), status=StepStatus.OPEN)
        .select_related("application", "application__service", "department", "stage_step")
        .order_by("created_at", "pk")
    )


def step_get_for_staff(*, user, pk: int) -> Step:
    """A step of the user's own departments; any other is 'not found'."""
    step = (
        Step.objects.filter(pk=pk, department_id__in=staff_department_ids(user=user))
        .select_related(
            "application", "application__service", "application__citizen", "department", "stage_step", "decided_by"
        )
        .first()
    )
    if step is None:
        raise NotFound(_("This step does not exist or is not in your department's queue."))
    return step
