"""Changes made in the admin (services, workflows, departments, registries, users, roles):
Django writes a LogEntry for each; the trail gets the same, with the address it came from."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.middleware import current_request

_ACTIONS = {ADDITION: Action.ADMIN_ADDED, CHANGE: Action.ADMIN_CHANGED, DELETION: Action.ADMIN_DELETED}


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.admin_change")
def admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    audit_record(
        _ACTIONS.get(instance.action_flag, Action.ADMIN_CHANGED),
        request=current_request(),
        actor=instance.user,
        object_type=f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type else "",
        object_id=instance.object_id or "",
        detail={"object": instance.object_repr[:200], "change": instance.get_change_message()[:500]},
    )
