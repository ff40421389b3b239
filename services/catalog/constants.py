from django.db import models
from django.utils.translation import gettext_lazy as _


class StepRole(models.TextChoices):
    """Who in the department decides a step."""

    CLERK = "clerk", _("Window acceptance (clerk)")
    REVIEWER = "reviewer", _("Review (reviewer)")


FIELD_TYPES = ("text", "textarea", "date", "integer", "choice", "id_number", "mobile", "email")
