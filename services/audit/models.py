from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Succeeded")
    FAILURE = "failure", _("Failed")
    REFUSED = "refused", _("Refused")


class AuditEvent(models.Model):
    """One security-relevant event. Written once; the chain fields are added once, by the
    sealer (`trail.audit_seal`), and nothing else ever changes (database triggers, migration
    0002). No foreign keys: the trail outlives the accounts and objects it names."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor_id = models.PositiveBigIntegerField(_("account id"), null=True, blank=True)
    actor = models.CharField(_("who"), max_length=150, blank=True)
    address = models.CharField(_("from where"), max_length=64, blank=True)
    action = models.CharField(_("what"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The chain: the place of the event in it, the hash of the one before, and its own hash
    # (over its content and the one before): written when the event is sealed.
    chain_index = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["address", "at"], name="audit_address_at_idx"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor or '-'} {self.action} {self.outcome}"
