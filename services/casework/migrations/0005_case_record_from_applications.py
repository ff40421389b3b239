"""The case record moves from the applications app to casework, which owns the case's
lifecycle: the application, its ID-number index, reference counters, history, correction
requests, ratings and follow-ups. The tables keep their names and rows (a move in Django's
state only); content types follow, so permissions and admin log entries keep pointing at
them. E-licences are now requested by casework: queued messages take the new task name."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import services.core.fields

MOVED = [
    "application",
    "applicationidentity",
    "referencecounter",
    "caseevent",
    "correctionrequest",
    "rating",
    "followup",
]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="casework", model=model).exists():
            ContentType.objects.filter(app_label="applications", model=model).update(app_label="casework")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="casework", model__in=MOVED).update(app_label="applications")


def licence_task_renamed(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    OutboxMessage.objects.filter(task_name="records.issue_licence").update(task_name="casework.issue_licence")


def licence_task_back(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    OutboxMessage.objects.filter(task_name="casework.issue_licence").update(task_name="records.issue_licence")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_leader_role"),
        ("applications", "0007_open_cases_index"),
        ("casework", "0004_step_working_days"),
        ("catalog", "0004_wallet_and_licences"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Application",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("reference", models.CharField(max_length=20, unique=True, verbose_name="reference number")),
                        ("answers", services.core.fields.ProtectedJSONField(default=dict, verbose_name="answers")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("submitted", "Submitted"),
                                    ("in_review", "Being handled"),
                                    ("correction", "Waiting for your correction"),
                                    ("completed", "Approved"),
                                    ("rejected", "Not approved"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                default="submitted",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "current_stage",
                            models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="current stage"),
                        ),
                        ("round", models.PositiveSmallIntegerField(default=1)),
                        ("submitted_at", models.DateTimeField(verbose_name="submitted at")),
                        ("due_date", models.DateField(verbose_name="due date")),
                        ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided at")),
                        ("processing_working_days", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("idempotency_key", models.CharField(blank=True, max_length=80, null=True)),
                        ("idempotency_fingerprint", models.CharField(blank=True, max_length=64)),
                        (
                            "citizen",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "service",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to="catalog.service",
                            ),
                        ),
                        (
                            "workflow",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to="catalog.workflowtemplate",
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("citizen", "idempotency_key"), name="application_idempotency_unique"
                            )
                        ],
                        "indexes": [
                            models.Index(fields=["citizen", "-submitted_at"], name="application_citizen_idx"),
                            models.Index(
                                condition=models.Q(("status__in", ["submitted", "in_review", "correction"])),
                                fields=["service", "submitted_at"],
                                include=("status", "due_date"),
                                name="application_open_idx",
                            ),
                        ],
                        "verbose_name": "application",
                        "verbose_name_plural": "applications",
                        "db_table": "applications_application",
                        "ordering": ["-submitted_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="ApplicationIdentity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("digest", models.CharField(db_index=True, max_length=64)),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="identities",
                                to="casework.application",
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(fields=("application", "digest"), name="identity_once_per_case")
                        ],
                        "db_table": "applications_applicationidentity",
                    },
                ),
                migrations.CreateModel(
                    name="ReferenceCounter",
                    fields=[
                        ("day", models.DateField(primary_key=True, serialize=False)),
                        ("last", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "applications_referencecounter",
                    },
                ),
                migrations.CreateModel(
                    name="CaseEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("submitted", "Submitted"),
                                    ("stage_started", "Stage started"),
                                    ("step_approved", "Step approved"),
                                    ("step_rejected", "Step rejected"),
                                    ("step_cancelled", "Step closed without a decision"),
                                    ("completed", "Case approved"),
                                    ("rejected", "Case not approved"),
                                    ("stage_skipped", "Stage skipped"),
                                    ("correction_requested", "Correction requested"),
                                    ("correction_submitted", "Correction submitted"),
                                    ("returned", "Returned to the previous stage"),
                                    ("check_done", "Automatic check done"),
                                    ("step_claimed", "Step claimed"),
                                    ("step_assigned", "Step assigned"),
                                    ("note_added", "Internal note"),
                                    ("escalated", "Overdue step escalated"),
                                    ("data_revealed", "Masked data revealed"),
                                    ("withdrawn", "Withdrawn"),
                                    ("material_added", "Material added"),
                                    ("rated", "Rated"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("from_status", models.CharField(blank=True, max_length=20)),
                        ("to_status", models.CharField(blank=True, max_length=20)),
                        ("stage_name_zh", models.CharField(blank=True, max_length=100)),
                        ("stage_name_en", models.CharField(blank=True, max_length=150)),
                        ("note", models.TextField(blank=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="events",
                                to="casework.application",
                            ),
                        ),
                        (
                            "department",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="accounts.department",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "case event",
                        "verbose_name_plural": "case events",
                        "db_table": "applications_caseevent",
                        "ordering": ["at", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="CorrectionRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("step_id", models.PositiveBigIntegerField(help_text="The step that asked.")),
                        ("items", models.JSONField(verbose_name="items to fix")),
                        ("requested_at", models.DateTimeField(auto_now_add=True)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("paused_working_days", models.PositiveSmallIntegerField(default=0)),
                        ("citizen_comment", models.TextField(blank=True)),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="corrections",
                                to="casework.application",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("resolved_at__isnull", True)),
                                fields=("application",),
                                name="one_open_correction",
                            )
                        ],
                        "verbose_name": "correction request",
                        "verbose_name_plural": "correction requests",
                        "db_table": "applications_correctionrequest",
                        "ordering": ["-requested_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="Rating",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("score", models.PositiveSmallIntegerField(verbose_name="rating")),
                        ("tags", models.JSONField(default=list)),
                        ("comment", models.TextField(blank=True, verbose_name="comment")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "application",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="rating",
                                to="casework.application",
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("score__gte", 1), ("score__lte", 5)), name="rating_score_1_to_5"
                            )
                        ],
                        "verbose_name": "rating",
                        "verbose_name_plural": "ratings",
                        "db_table": "applications_rating",
                    },
                ),
                migrations.CreateModel(
                    name="FollowUp",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("due_date", models.DateField()),
                        ("reply", models.TextField(blank=True, verbose_name="reply")),
                        ("replied_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "department",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="follow_ups",
                                to="accounts.department",
                            ),
                        ),
                        (
                            "replied_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "rating",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="follow_up",
                                to="casework.rating",
                            ),
                        ),
                    ],
                    options={
                        "indexes": [
                            models.Index(fields=["department", "replied_at", "due_date"], name="follow_up_queue_idx")
                        ],
                        "verbose_name": "follow-up",
                        "verbose_name_plural": "follow-ups",
                        "db_table": "applications_followup",
                        "ordering": ["due_date", "pk"],
                    },
                ),
                migrations.AlterField(
                    model_name="casenote",
                    name="application",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="notes", to="casework.application"
                    ),
                ),
                migrations.AlterField(
                    model_name="step",
                    name="application",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="steps", to="casework.application"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="step",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Waiting for decision"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("cancelled", "Closed without a decision"),
                    ("returned", "Sent back to the previous stage"),
                ],
                default="open",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(content_types_follow, content_types_back),
        migrations.RunPython(licence_task_renamed, licence_task_back),
    ]
