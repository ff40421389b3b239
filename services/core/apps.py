from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "services.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from services.core import startup  # noqa: F401 - registers the start-up checks (manage.py check --deploy)
        from services.core.tracing import request_id_unbind_at_finish

        request_finished.connect(request_id_unbind_at_finish, dispatch_uid="core.request_id_unbind")
