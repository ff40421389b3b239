"""The database itself refuses to change the data-access log and case history: an UPDATE
fails on every database; a DELETE fails on PostgreSQL (on SQLite, the embedded development
database, tests empty tables between runs with DELETE, so only UPDATE is guarded there)."""

from django.db import migrations

TABLES = ["records_dataaccess", "applications_caseevent"]


def guard(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;
                    DROP TRIGGER IF EXISTS {table}_no_change ON {table};
                    CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                    """
                )
            elif connection.vendor == "sqlite":
                cursor.execute(
                    f"""
                    CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
                    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
                    """
                )


def unguard(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
            elif connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0004_fetch_application"),
        ("applications", "0006_registries_and_attributes"),
    ]

    operations = [migrations.RunPython(guard, unguard)]
