from django.db import models

from services.core.crypto import protect, reveal


class ProtectedJSONField(models.JSONField):
    """JSON whose resident ID numbers are encrypted in the database and plain in Python.
    Everything else in the value is stored as it is."""

    def get_prep_value(self, value):
        return super().get_prep_value(protect(value) if value is not None else value)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return reveal(value) if value is not None else value
