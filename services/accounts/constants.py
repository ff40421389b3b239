from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    STAFF = "staff", _("Staff")


class StaffRole(models.TextChoices):
    CLERK = "clerk", _("Window clerk")
    REVIEWER = "reviewer", _("Reviewer")
    DEPARTMENT_ADMIN = "dept_admin", _("Department administrator")
    AUDITOR = "auditor", _("Auditor")
    LEADER = "leader", _("City leader")
    SECURITY_ADMIN = "security_admin", _("Security administrator")


# Roles that are city-wide: they belong to no department.
CITY_WIDE_ROLES = (StaffRole.AUDITOR, StaffRole.LEADER, StaffRole.SECURITY_ADMIN)

# Which steps each role works on, within its own department. A step is decided by a window
# clerk (acceptance, 受理) or a reviewer (审批); catalog.StepRole names these two by the same
# values. A department administrator does both.
STEP_ROLES_FOR_STAFF_ROLE: dict[str, tuple[str, ...]] = {
    StaffRole.CLERK: (StaffRole.CLERK,),
    StaffRole.REVIEWER: (StaffRole.REVIEWER,),
    StaffRole.DEPARTMENT_ADMIN: (StaffRole.CLERK, StaffRole.REVIEWER),
}
