from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Alert(models.Model):
    """One incident a monitoring rule found: a rule, and whom or what it is about (`key`).
    While it is open, more of the same adds to it; once acknowledged, only what happens after
    can open the next one."""

    rule = models.CharField(_("rule"), max_length=40)
    key = models.CharField(max_length=200)
    subject = models.CharField(_("about"), max_length=200)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    count = models.PositiveIntegerField(_("events"))
    # The audit events that make the case (their ids, the latest first, a bounded number).
    evidence = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"], condition=models.Q(status="open"), name="alert_one_open_per_incident"
            )
        ]
        indexes = [models.Index(fields=["rule", "key", "-opened_at"], name="alert_incident_idx")]
        verbose_name = _("security alert")
        verbose_name_plural = _("security alerts")

    def __str__(self) -> str:
        return f"{self.rule} {self.subject}"
