from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from services.accounts.forms import AdminSignInForm
from services.accounts.models import ApiToken, Department, Membership, ProviderAccount, ProviderGroup, User

# The admin's login asks the same guard as every other way in.
admin.site.login_form = AdminSignInForm
# knox registers its own token model, which ApiToken replaces (KNOX_TOKEN_MODEL).
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    # Roles from the identity provider come and go with its groups at each sign-in there.
    readonly_fields = ("from_provider",)


class ProviderAccountInline(admin.StackedInline):
    """Links a staff account to its account at the identity provider (issuer and subject): how
    an existing staff member starts signing in through it. Never matched by email."""

    model = ProviderAccount
    extra = 0
    readonly_fields = ("created_at", "last_sign_in_at")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "kind", "is_active", "is_staff")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("username", "full_name", "email", "mobile")
    inlines = [MembershipInline, ProviderAccountInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "kind", "mobile", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_inlines(self, request, obj):
        # Only staff accounts sign in through the identity provider.
        if obj is None or not obj.is_portal_staff:
            return [MembershipInline]
        return self.inlines


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued only by signing in; a system administrator sees and revokes them."""

    list_display = ("user", "device", "token_key", "created", "expiry", "last_used_at")
    search_fields = ("user__username", "device", "token_key")
    readonly_fields = ("user", "device", "token_key", "created", "expiry", "last_used_at")
    exclude = ("digest",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProviderGroup)
class ProviderGroupAdmin(admin.ModelAdmin):
    """Which role each group of the identity provider gives (accounts.oidc): a department's
    role, or a city-wide one (auditor, city leader) with no department. A staff member whose
    groups give no role cannot sign in through the provider."""

    list_display = ("group", "department", "role")
    list_filter = ("role", "department")
    search_fields = ("group",)
