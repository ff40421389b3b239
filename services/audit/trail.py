"""Writing to the trail, and sealing it into a chain.

`audit_record` writes an event at once (in the caller's transaction). `audit_seal` (a beat
task every few seconds, and before each checkpoint) gives the events not yet sealed their
place in the chain, in the order they were written: each one's hash covers its content and
the hash of the one before, so changing or removing an event breaks every link after it."""

import hashlib
import json
import logging
from datetime import UTC

from django.db import transaction
from django.http import HttpRequest

from services.audit.models import AuditEvent, Outcome
from services.core.net import client_address
from services.core.tracing import request_id_get

logger = logging.getLogger("services.security")

GENESIS = "0" * 64
SEAL_BATCH = 5000


def audit_record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor=None,
    actor_name: str = "",
    object_type: str = "",
    object_id: object = "",
    outcome: str = Outcome.SUCCESS,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one event: who (`actor`, else the request's user, else `actor_name`: a name
    tried at sign-in), from where (the request's client address), what, which object,
    outcome. Also logged to the `services.security` logger."""
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    event = AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor=(getattr(actor, "username", "") or actor_name)[:150],
        address=client_address(request)[:64] if request is not None else "",
        action=action,
        object_type=object_type[:50],
        object_id=str(object_id)[:100],
        outcome=outcome,
        detail=detail or {},
        # Outside a request (a task it queued), the id the task carries.
        request_id=str(getattr(request, "request_id", "") or request_id_get() or "")[:64],
    )
    logger.info(
        "audit %s %s",
        action,
        outcome,
        extra={"actor": event.actor, "address": event.address, "object": f"{object_type}:{event.object_id}"},
    )
    return event


def event_hash(event: AuditEvent) -> str:
    """The hash of an event as stored: its place, the hash before it, and every field."""
    content = [
        event.chain_index,
        event.prev_hash,
        event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.actor_id,
        event.actor,
        event.address,
        event.action,
        event.object_type,
        event.object_id,
        event.outcome,
        event.detail,
        event.request_id,
    ]
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_head() -> tuple[int, str]:
    """(index, hash) of the last sealed event: (0, GENESIS) for an empty chain."""
    last = AuditEvent.objects.exclude(chain_index=None).order_by("-chain_index").first()
    if last is None or last.chain_index is None:
        return 0, GENESIS
    return last.chain_index, last.hash


def audit_seal() -> int:
    """Seal the events written since the last time, in the order they were written; returns
    how many. Two sealers at once wait for each other (the rows are locked)."""
    sealed = 0
    while True:
        with transaction.atomic():
            pending = list(AuditEvent.objects.select_for_update().filter(hash="").order_by("pk")[:SEAL_BATCH])
            if not pending:
                return sealed
            # The head is read once the pending rows are ours: a second sealer waited above.
            index, previous = chain_head()
            for event in pending:  # as the database holds them: the hash is of what is stored
                index += 1
                event.chain_index, event.prev_hash = index, previous
                event.hash = previous = event_hash(event)
            AuditEvent.objects.bulk_update(pending, ["chain_index", "prev_hash", "hash"], batch_size=500)
            sealed += len(pending)
