from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "services.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self) -> None:
        from services.accounts import security_events, sessions, signin  # noqa: F401 - their receivers
        from services.accounts.api import schema  # noqa: F401 - the token in the OpenAPI schema
        from services.accounts.models import Department
        from services.core.cache import public_pages_follow

        public_pages_follow(Department)  # the guides name the departments of each route
