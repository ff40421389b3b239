from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.catalog.constants import AutomaticCheck, StepRole
from services.core.i18n import Bilingual


class LifeEvent(Bilingual, models.Model):
    """A moment in life (birth, schooling, work, marriage, housing, starting a business,
    retirement) that services are grouped by, as citizens think of them."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("life event")
        verbose_name_plural = _("life events")

    def __str__(self) -> str:
        return self.name_zh


class DocumentType(Bilingual, models.Model):
    """A kind of document (证照): identity card, marriage certificate, business licence… A
    material can be met by a valid one in the citizen's wallet; a service can issue one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100)
    issuer = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="document_types"
    )
    validity_years = models.PositiveSmallIntegerField(_("valid for (years)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name_zh


class Service(Bilingual, models.Model):
    """A public service (政务服务事项) a citizen can apply for."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=200)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    lead_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="led_services", verbose_name=_("lead department")
    )
    promised_days = models.PositiveSmallIntegerField(_("promised working days"))
    fee_zh = models.CharField(_("fee (Chinese)"), max_length=200, default="不收费")
    fee_en = models.CharField(_("fee (English)"), max_length=200, default="Free of charge")
    form_schema = models.JSONField(_("form schema"), default=dict)
    is_published = models.BooleanField(_("published"), default=False)
    life_events = models.ManyToManyField(LifeEvent, related_name="services", blank=True, verbose_name=_("life events"))
    issues = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_by_services",
        verbose_name=_("e-licence issued on approval"),
    )
    keywords = models.CharField(
        _("search keywords"),
        max_length=300,
        blank=True,
        help_text=_("Other words people use for it, in both languages."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def localized_summary(self) -> str:
        return self.localized("summary")

    @property
    def localized_fee(self) -> str:
        return self.localized("fee")

    def clean(self) -> None:
        from services.catalog.schema import schema_check

        errors = schema_check(self.form_schema)
        if errors:
            raise ValidationError({"form_schema": errors})


class Material(Bilingual, models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=200)
    note_zh = models.CharField(_("note (Chinese)"), max_length=300, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    document_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="materials",
        help_text=_("A valid document of this type in the citizen's wallet meets the material: no upload."),
    )
    # 容缺受理: the application is accepted without it; it must follow within these working days.
    deferrable_days = models.PositiveSmallIntegerField(
        _("may follow later, within working days"),
        null=True,
        blank=True,
        help_text=_("Leave empty if it must come with the application."),
    )

    class Meta:
        ordering = ["service", "position", "pk"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def localized_note(self) -> str:
        return self.localized("note")


class WorkflowTemplate(models.Model):
    """A version of a service's workflow. A case keeps the version it started on, so editing
    a workflow means adding a new version and activating it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="workflows")
    version = models.PositiveIntegerField(_("version"))
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="workflow_version_unique"),
            models.UniqueConstraint(fields=["service"], condition=models.Q(is_active=True), name="workflow_one_active"),
        ]
        verbose_name = _("workflow template")
        verbose_name_plural = _("workflow templates")

    def __str__(self) -> str:
        return f"{self.service.code} v{self.version}"


class Stage(Bilingual, models.Model):
    """An ordered stage of a workflow. Its steps run in parallel (并联审批) and all must approve."""

    template = models.ForeignKey(WorkflowTemplate, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("position"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    condition = models.JSONField(
        _("condition"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to always include the stage. Otherwise, for example: "
            '{"field": "scope", "op": "contains", "value": "餐饮"}'
        ),
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "position"], name="stage_position_unique")]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.template} #{self.position} {self.name_zh}"

    def clean(self) -> None:
        from services.catalog.schema import condition_check

        if self.condition:
            problems = condition_check(self.condition, schema=self.template.service.form_schema)
            if problems:
                raise ValidationError({"condition": problems})


class StageStep(Bilingual, models.Model):
    """One department's part in a stage."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="stage_steps")
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    role = models.CharField(_("decided by"), max_length=20, choices=StepRole.choices, default=StepRole.REVIEWER)
    automatic_check = models.CharField(
        _("automatic check"),
        max_length=40,
        choices=AutomaticCheck.choices,
        blank=True,
        help_text=_("Run by a worker on the department's queue; it approves, rejects or hands over to a person."),
    )
    days = models.PositiveSmallIntegerField(_("working days for this step"), default=3)

    class Meta:
        ordering = ["stage", "pk"]
        constraints = [models.UniqueConstraint(fields=["stage", "department"], name="stage_step_department_unique")]
        verbose_name = _("stage step")
        verbose_name_plural = _("stage steps")

    def __str__(self) -> str:
        return f"{self.stage} / {self.department.code}"
