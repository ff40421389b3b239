"""The database refuses to change the audit trail: an event is written once and sealed once
(the chain fields, from empty to set); nothing else is updated. On PostgreSQL a DELETE is
refused too, except by the retention pruning (which says so for its transaction: SET LOCAL
portal.audit_prune = 'on'), and TRUNCATE is refused unless the connection says
portal.allow_truncate = 'on' (the test suite's, which empties tables between tests). Someone
who owns the database can drop these triggers: the chain and its checkpoints show what they
did then (audit_verify)."""

from django.db import migrations

CONTENT = ["at", "actor_id", "actor", "address", "action", "object_type", "object_id", "outcome", "detail", "request_id"]


def guard(apps, schema_editor):
    connection = schema_editor.connection
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
                BEGIN
                  IF TG_OP = 'DELETE' THEN
                    IF current_setting('portal.audit_prune', true) = 'on' THEN RETURN OLD; END IF;
                    RAISE EXCEPTION 'the audit trail is append-only';
                  END IF;
                  IF OLD.hash <> '' OR {changed} THEN
                    RAISE EXCEPTION 'the audit trail is append-only';
                  END IF;
                  RETURN NEW;
                END; $$ LANGUAGE plpgsql;
                DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent;
                CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_auditevent
                FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
                CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
                BEGIN
                  IF current_setting('portal.allow_truncate', true) = 'on' THEN RETURN NULL; END IF;
                  RAISE EXCEPTION 'the audit trail cannot be emptied';
                END; $$ LANGUAGE plpgsql;
                DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
                CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
                FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
                """
            )
        elif connection.vendor == "sqlite":
            sqlite_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
            cursor.execute(
                f"""
                CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
                WHEN OLD.hash <> '' OR {sqlite_changed}
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                """
            )


def unguard(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent")
            cursor.execute("DROP FUNCTION IF EXISTS audit_event_guard()")
            cursor.execute("DROP FUNCTION IF EXISTS audit_event_no_truncate()")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard)]
