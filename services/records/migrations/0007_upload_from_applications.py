"""Uploaded files move from the applications app to records, beside the wallet and the
evidence a case used; the table keeps its name and rows (a move in Django's state only).
The references to the case follow it to casework."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import services.records.models


def content_type_follows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="records", model="upload").exists():
        ContentType.objects.filter(app_label="applications", model="upload").update(app_label="records")


def content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="records", model="upload").update(app_label="applications")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_open_cases_index"),
        ("casework", "0005_case_record_from_applications"),
        ("catalog", "0004_wallet_and_licences"),
        ("records", "0006_identity"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="evidence",
                    name="application",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="evidence", to="casework.application"
                    ),
                ),
                migrations.AlterField(
                    model_name="fetch",
                    name="application",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="fetches",
                        to="casework.application",
                    ),
                ),
                migrations.AlterField(
                    model_name="walletdocument",
                    name="application",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="licence",
                        to="casework.application",
                    ),
                ),
                migrations.CreateModel(
                    name="Upload",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("file", models.FileField(max_length=200, upload_to=services.records.models.upload_path)),
                        ("original_name", models.CharField(max_length=200)),
                        ("content_type", models.CharField(max_length=100)),
                        ("size", models.PositiveIntegerField()),
                        ("sha256", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "application",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="uploads",
                                to="casework.application",
                            ),
                        ),
                        (
                            "draft",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="uploads",
                                to="applications.draft",
                            ),
                        ),
                        (
                            "material",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="uploads",
                                to="catalog.material",
                            ),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="uploads",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "uploaded file",
                        "verbose_name_plural": "uploaded files",
                        "db_table": "applications_upload",
                        "ordering": ["created_at", "pk"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_back),
    ]
