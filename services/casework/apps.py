from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "services.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # The official calendar lives in core, below casework: it tells, casework moves the deadlines.
        from services.casework.deadlines import _on_calendar_changed
        from services.core.calendar import calendar_changed

        calendar_changed.connect(_on_calendar_changed, dispatch_uid="casework.deadlines_recompute")
