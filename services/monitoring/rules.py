"""The monitoring rules: what in the audit trail counts towards each, whom or what an
incident is about (its key), over which window, and how many is too many (settings). An
incident is more than `threshold` events with the same key within the window."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from services.audit.constants import Action
from services.audit.models import AuditEvent
from services.core.workdays import is_working_day

Row = dict  # an audit event as values(): id, at, actor_id, actor, address, detail


@dataclass(frozen=True)
class Rule:
    code: str
    label: Promise
    actions: tuple[str, ...]
    window: timedelta
    threshold: int  # at most this many is fine; one more is an incident
    key: Callable[[Row], str | None]  # None: the event does not count
    subject: Callable[[Row], str] = field(default=lambda row: row["actor"] or row["address"])


def rules() -> list[Rule]:
    limits = settings.MONITORING
    sign_in_window = timedelta(minutes=limits["SIGN_IN_WINDOW_MINUTES"])
    hour, day = timedelta(hours=1), timedelta(days=1)
    return [
        Rule(
            "sign_in_failures_account",
            _("Many failed sign-ins to one account"),
            (Action.SIGN_IN_FAILED,),
            sign_in_window,
            limits["SIGN_IN_FAILURES_PER_ACCOUNT"],
            key=lambda row: f"account:{row['actor']}" if row["actor"] else None,
        ),
        Rule(
            "sign_in_failures_address",
            _("Many failed sign-ins from one address"),
            (Action.SIGN_IN_FAILED,),
            sign_in_window,
            limits["SIGN_IN_FAILURES_PER_ADDRESS"],
            key=lambda row: f"address:{row['address']}" if row["address"] else None,
            subject=lambda row: row["address"],
        ),
        Rule(
            "sign_in_failures_city",
            _("Many failed sign-ins across the city"),
            (Action.SIGN_IN_FAILED,),
            sign_in_window,
            limits["SIGN_IN_FAILURES_CITY"],
            key=lambda row: "city",
            subject=lambda row: str(_("the whole portal")),
        ),
        Rule(
            "personal_data_reads",
            _("A staff member read more personal data than usual"),
            (Action.PERSONAL_DATA_READ,),
            hour,
            limits["PERSONAL_DATA_READS_PER_HOUR"],
            key=_staff_key,
        ),
        Rule(
            "personal_data_after_hours",
            _("A staff member read personal data outside working hours"),
            (Action.PERSONAL_DATA_READ,),
            hour,
            limits["PERSONAL_DATA_READS_AFTER_HOURS"],
            key=lambda row: _staff_key(row) if not _working_hours(row["at"]) else None,
        ),
        Rule(
            "exports",
            _("Many exports by one staff member"),
            (Action.EXPORT,),
            day,
            limits["EXPORTS_PER_DAY"],
            key=_staff_key,
        ),
        Rule(
            "bulk_export",
            _("A bulk export"),
            (Action.EXPORT,),
            day,
            0,
            key=lambda row: f"export:{row['id']}" if _rows(row) > limits["EXPORT_ROWS"] else None,
        ),
        Rule(
            "refused_objects",
            _("Repeated tries to open other departments' cases"),
            (Action.OBJECT_REFUSED,),
            hour,
            limits["REFUSED_OBJECTS_PER_HOUR"],
            key=_staff_key,
        ),
        Rule(
            "staff_new_address",
            _("A staff member signed in from a new address"),
            (Action.SIGN_IN,),
            timedelta(minutes=limits["NEW_ADDRESS_WINDOW_MINUTES"]),
            0,
            key=_new_staff_address,
            subject=lambda row: f"{row['actor']} @ {row['address']}",
        ),
    ]


def _staff_key(row: Row) -> str | None:
    return f"staff:{row['actor_id']}" if row["actor_id"] else None


def _working_hours(at) -> bool:
    local = timezone.localtime(at)
    start, end = settings.MONITORING["WORKING_HOURS"]
    return is_working_day(local.date()) and start <= local.hour < end


def _rows(row: Row) -> int:
    rows = (row["detail"] or {}).get("rows", 0)
    return rows if isinstance(rows, int) else 0


def _new_staff_address(row: Row) -> str | None:
    """A staff member's sign-in from an address none of their sign-ins came from in the last
    NEW_ADDRESS_DAYS, when they have signed in before (their very first sign-in is not news)."""
    if (row["detail"] or {}).get("kind") != "staff" or not row["actor_id"] or not row["address"]:
        return None
    earlier = AuditEvent.objects.filter(
        action=Action.SIGN_IN,
        actor_id=row["actor_id"],
        at__lt=row["at"],
        at__gte=row["at"] - timedelta(days=settings.MONITORING["NEW_ADDRESS_DAYS"]),
    )
    if not earlier.exists() or earlier.filter(address=row["address"]).exists():
        return None
    return f"staff:{row['actor_id']}:address:{row['address']}"
