from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToolingConfig(AppConfig):
    name = "services.tooling"
    label = "tooling"
    verbose_name = _("Demo data, load generation and benchmarks")
