"""Which queues have a live worker: every worker writes, every few seconds, one key per queue
it consumes into the shared cache (Redis, whichever the broker), living a short window;
readiness reads them all in one round trip. A queue whose key is gone has had no worker for that window: its work waits.

Celery's own ways were weighed: a remote-control ping answers only after its timeout, on
every probe; its heartbeat events need gossip and an event consumer. A key with a time to
live answers at once and needs nothing running but the workers themselves. The writer is a
bootstep of the worker's consumer (portal.celery), so a worker that lost its broker and is
reconnecting writes nothing: it consumes nothing either.
"""

import time

from django.core.cache import cache

KEY_PREFIX = "health:worker:"


def _key(queue: str) -> str:
    return f"{KEY_PREFIX}{queue}"


def worker_heartbeat_record(*, queues: list[str], worker: str, window: float) -> None:
    """This worker consumes `queues` now. Any worker of a queue keeps its key alive."""
    now = time.time()
    cache.set_many({_key(queue): {"worker": worker, "at": now} for queue in queues}, timeout=max(1, round(window)))


def worker_heartbeats(*, queues: list[str], window: float) -> dict[str, str | None]:
    """For each queue, the worker last seen consuming it within `window` seconds, or None."""
    found = cache.get_many([_key(queue) for queue in queues])
    oldest = time.time() - window
    alive: dict[str, str | None] = {}
    for queue in queues:
        beat = found.get(_key(queue))
        fresh = isinstance(beat, dict) and float(beat.get("at", 0)) >= oldest
        alive[queue] = str(beat.get("worker", "")) if isinstance(beat, dict) and fresh else None
    return alive
