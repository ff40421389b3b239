"""The catalogue for administrators: services, materials and workflows, without code.
A workflow version that cases have used is read-only; copy it to change the route."""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from services.catalog import actions
from services.catalog.models import Material, Service, Stage, StageStep, WorkflowTemplate
from services.core.errors import PortalError


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "lead_department", "promised_days", "is_published")
    list_filter = ("is_published", "lead_department")
    search_fields = ("code", "name_zh", "name_en")
    inlines = [MaterialInline]


if TYPE_CHECKING:
    # For the type checker the mixin is an inline: its super() calls reach InlineModelAdmin.
    _InlineBase = admin.options.InlineModelAdmin
else:
    _InlineBase = object


class ReadOnlyWhenUsed(_InlineBase):
    """Inlines of a workflow version that cases have used cannot change."""

    def _used(self, obj) -> bool:
        template = obj if isinstance(obj, WorkflowTemplate) else getattr(obj, "template", None)
        return bool(template and template.pk and actions.workflow_in_use(template=template))

    def has_add_permission(self, request, obj=None):
        return not self._used(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._used(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._used(obj) and super().has_delete_permission(request, obj)


class StageInline(ReadOnlyWhenUsed, admin.TabularInline):
    model = Stage
    extra = 0
    fields = ("position", "name_zh", "name_en", "condition")
    show_change_link = True


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(admin.ModelAdmin):
    list_display = ("service", "version", "is_active", "created_at")
    list_filter = ("is_active", "service")
    readonly_fields = ("is_active",)
    inlines = [StageInline]
    actions = ["copy_as_new_version", "activate"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and actions.workflow_in_use(template=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and actions.workflow_in_use(template=obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Copy as a new version (inactive, to edit)"))
    def copy_as_new_version(self, request, queryset):
        for template in queryset:
            copy = actions.workflow_copy(template=template)
            self.message_user(request, _("Made %(copy)s from %(template)s.") % {"copy": copy, "template": template})

    @admin.action(description=_("Use this version for new applications"))
    def activate(self, request, queryset):
        for template in queryset:
            try:
                actions.workflow_activate(template=template)
            except PortalError as exc:
                self.message_user(request, f"{template}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, _("%(template)s is now active.") % {"template": template})


class StageStepInline(ReadOnlyWhenUsed, admin.TabularInline):
    model = StageStep
    extra = 0
    fields = ("department", "name_zh", "name_en", "role", "automatic_check", "days")

    def _used(self, obj) -> bool:
        return bool(obj and obj.pk and actions.workflow_in_use(template=obj.template))


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("template", "position", "name_zh", "name_en")
    list_filter = ("template__service",)
    inlines = [StageStepInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and actions.workflow_in_use(template=obj.template):
            return False
        return super().has_change_permission(request, obj)
