from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "services.audit"
    label = "audit"
    verbose_name = _("Security audit trail")

    def ready(self) -> None:
        from services.audit import receivers  # noqa: F401 - changes made in the admin
