"""Migration operations the contexts share."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class AddIndexWithoutLocking(migrations.AddIndex):
    """An index added to a large table while the portal keeps working: on PostgreSQL it is
    built CONCURRENTLY (writes go on meanwhile; the migration must say `atomic = False`),
    elsewhere as usual."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            concurrently = AddIndexConcurrently(self.model_name, self.index)
            concurrently.database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            concurrently = RemoveIndexConcurrently(self.model_name, self.index.name)
            concurrently.database_forwards(app_label, schema_editor, to_state, from_state)
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
