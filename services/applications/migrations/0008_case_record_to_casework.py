"""The case record moved to casework and uploaded files to records (see casework 0005 and
records 0007): here they leave the applications app's state. No table changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_open_cases_index"),
        ("casework", "0005_case_record_from_applications"),
        ("records", "0007_upload_from_applications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FollowUp"),
                migrations.DeleteModel(name="Rating"),
                migrations.DeleteModel(name="Upload"),
                migrations.DeleteModel(name="CorrectionRequest"),
                migrations.DeleteModel(name="CaseEvent"),
                migrations.DeleteModel(name="ApplicationIdentity"),
                migrations.DeleteModel(name="ReferenceCounter"),
                migrations.DeleteModel(name="Application"),
            ],
            database_operations=[],
        )
    ]
