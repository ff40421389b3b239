from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "services.records"
    label = "records"
    verbose_name = _("Records and data protection")

    def ready(self) -> None:
        from services.core.cache import public_pages_follow
        from services.records.models import DataRequirement, Registry

        public_pages_follow(Registry, DataRequirement)  # a guide says what data it fetches, from whom, why
