from django.contrib import admin

from services.records.models import DataAccess


@admin.register(DataAccess)
class DataAccessAdmin(admin.ModelAdmin):
    """Read-only: nobody changes the log, not even an administrator."""

    list_display = ("at", "actor", "department", "citizen", "case_reference", "what", "purpose")
    list_filter = ("department",)
    search_fields = ("case_reference", "purpose")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
