"""A read replica for the statistics.

With `DATABASE_REPLICA_URL` set, the reads inside `replica_reads()` (the statistics pages,
open data and the summary refresh's figures) go to a PostgreSQL streaming replica, so that
the heavy queries over every case do not share the primary with the citizens' submissions.
Everything else, and every write, stays on the primary.

The replica is used only while it is fit: reachable, still a standby streaming from the
primary, and no more than `REPLICA_MAX_LAG_SECONDS` behind in replaying what it received.
Otherwise the reads fall back to the primary, and the change (either way) is logged with the
reason. Each process checks at most every `REPLICA_CHECK_SECONDS`."""

import contextvars
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
logger = logging.getLogger("services.replica")

_reads_on: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica_reads", default=None)
_state: dict = {"checked_at": -math.inf, "alias": DEFAULT_DB_ALIAS, "reason": "not checked yet"}

# Replay lag: nothing when the replica has replayed all it received; else the time since the
# last transaction it replayed (the primary wrote more since, or the replica would have it).
_CHECK = """
SELECT pg_is_in_recovery(),
       (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_alias() -> str:
    """The alias statistics reads use now: the replica when it is fit, else the primary."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS
    now = time.monotonic()
    if now - _state["checked_at"] >= settings.REPLICA_CHECK_SECONDS:
        reason = _replica_unfit()
        alias = DEFAULT_DB_ALIAS if reason else REPLICA
        if alias != _state["alias"] or reason != _state["reason"]:
            if reason:
                logger.warning("statistics read from the primary: the replica is %s", reason)
            else:
                logger.info("statistics read from the replica again")
        _state.update(checked_at=now, alias=alias, reason=reason)
    return _state["alias"]


def _replica_unfit() -> str:
    """Why the replica must not be read now ("" when it may)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_CHECK)
            in_recovery, receiver, lag = cursor.fetchone()
    except DatabaseError as exc:
        connections[REPLICA].close()
        return f"unreachable ({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__})"
    if not in_recovery:
        return "not a standby any more (promoted?)"
    if receiver != "streaming":
        return f"not streaming from the primary (WAL receiver: {receiver or 'none'})"
    if float(lag) > settings.REPLICA_MAX_LAG_SECONDS:
        return f"{float(lag):.1f} s behind (limit {settings.REPLICA_MAX_LAG_SECONDS} s)"
    return ""


@contextmanager
def replica_reads() -> Iterator[str]:
    """The ORM's reads inside go to the replica when it is fit. Yields the alias used."""
    alias = replica_alias()
    token = _reads_on.set(alias)
    try:
        yield alias
    finally:
        _reads_on.reset(token)


def statistics_view(view: Callable) -> Callable:
    """A view whose reads (after the decorators outside it checked who asks) use the replica."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Reads inside `replica_reads()` to the alias it chose; everything else to the primary.
    The replica is never migrated: it replays the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return _reads_on.get()

    def db_for_write(self, model, **hints) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db != REPLICA
