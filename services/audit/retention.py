"""Keeping the trail for AUDIT_RETENTION_DAYS (180 by default): older events are deleted,
but first the last of them is written as a signed retention checkpoint, so the chain that is
kept begins at a link the checker can trust."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from services.audit.checkpoints import PRUNE, checkpoint_write
from services.audit.models import AuditEvent
from services.audit.trail import audit_seal

PRUNE_BATCH = 10_000


def audit_prune() -> int:
    """Delete the sealed events older than the retention; returns how many."""
    audit_seal()
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    cut = AuditEvent.objects.exclude(chain_index=None).filter(at__lt=cutoff).order_by("-chain_index").first()
    if cut is None or cut.chain_index is None:
        return 0
    checkpoint_write(index=cut.chain_index, hash_=cut.hash, kind=PRUNE)
    deleted = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL portal.audit_prune = 'on'")
            batch = list(
                AuditEvent.objects.filter(chain_index__lte=cut.chain_index)
                .order_by("chain_index")
                .values_list("pk", flat=True)[:PRUNE_BATCH]
            )
            if not batch:
                return deleted
            deleted += AuditEvent.objects.filter(pk__in=batch).delete()[0]
