from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "services.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from services.core import startup  # noqa: F401 - registers the start-up checks (manage.py check --deploy)
