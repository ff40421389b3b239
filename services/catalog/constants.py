from django.db import models
from django.utils.translation import gettext_lazy as _


class StepRole(models.TextChoices):
    """Who in the department decides a step."""

    CLERK = "clerk", _("Window acceptance (clerk)")
    REVIEWER = "reviewer", _("Review (reviewer)")


class AutomaticCheck(models.TextChoices):
    """Checks a machine makes on a department's queue. casework.checks implements each one."""

    APPLICANT_ADULT = "applicant_adult", _("The applicant is at least 18 years old")
    HOUSING_INCOME_LIMIT = "housing_income_limit", _("Household income per person is within the housing limit")


# Operators a stage condition may use on an answer.
CONDITION_OPERATORS = ("equals", "not_equals", "contains", "in", "gte", "lte", "answered")

FIELD_TYPES = ("text", "textarea", "date", "integer", "choice", "id_number", "mobile", "email", "credit_code")
