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


# Roles that are city-wide: they belong to no department.
CITY_WIDE_ROLES = (StaffRole.AUDITOR, StaffRole.LEADER)
