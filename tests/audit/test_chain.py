"""The audit trail shows tampering: an entry edited, an entry deleted, the end cut off or the
table emptied with direct SQL by someone who owns the database (and so can switch the
triggers off first) is reported by `audit_verify`, naming the first bad entry; the checkpoints
outside the database catch a chain recomputed after an edit; pruning keeps what is left
verifiable."""

import json
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from services.audit.checkpoints import checkpoints
from services.audit.models import AuditEvent
from services.audit.retention import audit_prune
from services.audit.tasks import checkpoint
from services.audit.trail import audit_record, audit_seal, event_hash
from services.audit.verify import audit_verify

pytestmark = pytest.mark.django_db


def _trail(events: int = 10) -> list[AuditEvent]:
    for n in range(events):
        audit_record("sign_in", actor_name=f"user{n}", detail={"n": n})
    audit_seal()
    return list(AuditEvent.objects.order_by("chain_index"))


def _as_database_owner(sql: str, params=()) -> None:
    """What someone with the database's owner rights can do: switch the guards off and write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute(sql, params)


def _verify_fails() -> str:
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("audit_verify")
    return str(refused.value)


def test_a_sealed_trail_verifies_and_each_entry_commits_to_the_one_before(capsys):
    events = _trail(5)

    assert [e.chain_index for e in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))
    assert all(event_hash(e) == e.hash for e in events)
    with translation.override("en"):
        call_command("audit_verify")
    assert "intact: 5 events (#1 to #5)" in capsys.readouterr().out


def test_an_entry_edited_with_direct_sql_is_named():
    _trail(10)
    _as_database_owner("UPDATE audit_auditevent SET actor = %s WHERE chain_index = 4", ["someone-else"])

    assert "Entry #4 (" in _verify_fails() and "was changed" in _verify_fails()


def test_an_entry_deleted_with_direct_sql_is_named():
    _trail(10)
    _as_database_owner("DELETE FROM audit_auditevent WHERE chain_index = 6")

    assert "Entries #6 to #6 are missing" in _verify_fails()


def test_the_table_emptied_with_direct_sql_is_reported():
    _trail(10)
    checkpoint()
    statement = "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    _as_database_owner(statement)

    assert "The trail is empty, but the checkpoint" in _verify_fails()
    assert "holds entry #10" in _verify_fails()


def test_the_end_cut_off_is_reported():
    _trail(10)
    checkpoint()
    _as_database_owner("DELETE FROM audit_auditevent WHERE chain_index > 7")

    assert "ends at entry #7" in _verify_fails() and "entries #8 to #10 were removed" in _verify_fails()


def test_a_chain_recomputed_after_an_edit_disagrees_with_the_checkpoint():
    _trail(6)
    checkpoint()  # a signed checkpoint of #6, outside the database
    # The owner edits #3 and recomputes every hash after it, so every link holds again.
    _as_database_owner("UPDATE audit_auditevent SET actor = %s WHERE chain_index = 3", ["someone-else"])
    previous = AuditEvent.objects.get(chain_index=2).hash
    for event in AuditEvent.objects.filter(chain_index__gte=3).order_by("chain_index"):
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
        _as_database_owner(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, event.hash, event.pk],
        )

    assert "Entry #6 differs from the checkpoint" in _verify_fails()


def test_a_forged_checkpoint_is_reported(audit_checkpoints):
    _trail(3)
    checkpoint()
    path = next(audit_checkpoints.glob("*.json"))
    body = json.loads(path.read_text())
    body["hash"] = "f" * 64
    (audit_checkpoints / "000000000000003-periodic-forged.json").write_text(json.dumps(body))

    assert "does not carry a valid signature" in _verify_fails()


def test_the_database_refuses_changes_and_deletions(settings):
    event = _trail(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="someone-else")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL portal.allow_truncate = 'off'")
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).actor == "user0"


def test_a_checkpoint_is_never_overwritten(audit_checkpoints):
    _trail(2)
    checkpoint()
    checkpoint()  # the same head: nothing new
    audit_record("sign_in", actor_name="later")
    checkpoint()

    assert [c.index for c in checkpoints()] == [2, 3]
    assert all(c.valid for c in checkpoints())


def test_pruning_keeps_what_is_left_verifiable(settings):
    settings.AUDIT_RETENTION_DAYS = 180
    start = timezone.now() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        _trail(4)
    _trail(3)

    assert audit_prune() == 4
    assert list(AuditEvent.objects.order_by("chain_index").values_list("chain_index", flat=True)) == [5, 6, 7]
    report = audit_verify()
    assert report.intact, report.problems
    assert (report.first_index, report.last_index) == (5, 7)


def test_entries_removed_from_the_start_without_a_retention_checkpoint_are_reported():
    _trail(5)
    _as_database_owner("DELETE FROM audit_auditevent WHERE chain_index <= 2")

    assert "Entries #1 to #2 are missing" in _verify_fails()


def test_unsealed_events_are_counted_not_failed():
    _trail(2)
    audit_record("sign_in", actor_name="just now")

    report = audit_verify()
    assert report.intact and report.unsealed == 1


def test_the_development_keys_are_a_pair():
    from django.conf import settings

    from services.audit.checkpoints import public_key_text

    assert public_key_text(settings.DEVELOPMENT_KEYS["AUDIT_CHECKPOINT_SIGNING_KEY"]) == (
        settings.DEVELOPMENT_AUDIT_VERIFY_KEY
    )
