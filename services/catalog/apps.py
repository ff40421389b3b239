from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "services.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue")

    def ready(self) -> None:
        from services.catalog import models
        from services.core.cache import public_pages_follow

        # The catalogue, the guides and their API show all of these.
        public_pages_follow(
            models.Service,
            models.Material,
            models.WorkflowTemplate,
            models.Stage,
            models.StageStep,
            models.DocumentType,
            models.LifeEvent,
        )
