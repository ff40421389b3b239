from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from services.accounts.constants import CITY_WIDE_ROLES, StaffRole, UserKind
from services.core.i18n import Bilingual


class Department(Bilingual, models.Model):
    """A government department (委办局). Its code names its Celery queue."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # ApiToken comes from untyped knox
    """Citizens sign in with a mobile number or an email; staff with a username."""

    kind = models.CharField(_("kind"), max_length=10, choices=UserKind.choices, default=UserKind.CITIZEN)
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, null=True, unique=True)
    # When the holder proved, with a code sent there, that the mobile number is theirs.
    mobile_confirmed_at = models.DateTimeField(null=True, blank=True)
    # NULL, not "", for "no email": unique constraints must allow many accounts without one.
    # django-stubs types AbstractUser.email as a str field; overriding it as nullable is valid Django.
    email = models.EmailField(_("email address"), blank=True, null=True)  # type: ignore[assignment]  # noqa: DJ001
    # The blind index of the resident ID number confirmed for this account (实名核验): only
    # this person's records may be fetched for it. The number itself is never stored here.
    id_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)

    objects: ClassVar["UserManager[Self]"] = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_citizen(self) -> bool:
        return self.kind == UserKind.CITIZEN

    @property
    def is_portal_staff(self) -> bool:
        return self.kind == UserKind.STAFF

    @cached_property
    def staff_roles(self) -> frozenset[str]:
        """The roles this staff member holds in any department (one query, kept)."""
        if not self.is_portal_staff:
            return frozenset()
        return frozenset(self.memberships.values_list("role", flat=True))

    @property
    def is_auditor(self) -> bool:
        return StaffRole.AUDITOR in self.staff_roles

    @property
    def works_cases(self) -> bool:
        """A clerk, reviewer or department administrator: someone with a department queue."""
        return bool(self.staff_roles & {StaffRole.CLERK, StaffRole.REVIEWER, StaffRole.DEPARTMENT_ADMIN})

    @property
    def is_security_admin(self) -> bool:
        """Receives the security alerts and answers them (services.monitoring)."""
        return StaffRole.SECURITY_ADMIN in self.staff_roles

    @property
    def reads_audit_trail(self) -> bool:
        return bool(self.staff_roles & {StaffRole.SECURITY_ADMIN, StaffRole.AUDITOR})

    @property
    def is_department_admin(self) -> bool:
        return StaffRole.DEPARTMENT_ADMIN in self.staff_roles

    @property
    def is_leader(self) -> bool:
        return StaffRole.LEADER in self.staff_roles

    @property
    def sees_statistics(self) -> bool:
        """City leaders see every department's figures; department administrators their own."""
        return bool(self.staff_roles & {StaffRole.LEADER, StaffRole.DEPARTMENT_ADMIN})


class Membership(models.Model):
    """A staff member's role in a department. An auditor's and a city leader's roles are
    city-wide (no department)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    # Given by the identity provider's groups (accounts.oidc): synced at each sign-in through
    # it. A role given here in the portal (not from the provider) is never touched by that.
    from_provider = models.BooleanField(_("from the identity provider"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=CITY_WIDE_ROLES) | models.Q(department__isnull=False),
                name="membership_department_required",
            ),
        ]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.department or '-'}"


class ProviderAccount(models.Model):
    """The account of the government's identity provider (OpenID Connect) a staff member signs
    in as: its issuer and subject (`sub`), which the provider never gives to anyone else. An
    account is found by these alone, never by an email or a name, which can be changed or
    spoofed."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="provider_account",
        limit_choices_to={"kind": UserKind.STAFF},
    )
    issuer = models.CharField(_("issuer"), max_length=255)  # compared as the provider writes it
    subject = models.CharField(_("subject (sub)"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="provider_account_unique")]
        verbose_name = _("identity provider account")
        verbose_name_plural = _("identity provider accounts")

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"


class ProviderGroup(models.Model):
    """A group of the identity provider (a value of its groups claim) and the role it gives in
    the portal: in a department, or city-wide (an auditor, a city leader). A system
    administrator keeps these in the admin; a group may give several roles."""

    group = models.CharField(_("group"), max_length=255)
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="provider_groups", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)

    class Meta:
        ordering = ["group", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "department", "role"],
                condition=models.Q(department__isnull=False),
                name="provider_group_unique",
            ),
            models.UniqueConstraint(
                fields=["group", "role"],
                condition=models.Q(department__isnull=True),
                name="provider_group_city_wide_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=CITY_WIDE_ROLES) | models.Q(department__isnull=False),
                name="provider_group_department_required",
            ),
        ]
        verbose_name = _("identity provider group")
        verbose_name_plural = _("identity provider groups")

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()} · {self.department or '-'}"


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("Registration")
    MOBILE_CHANGE = "mobile_change", _("Change of mobile number")
    PASSWORD_RESET = "password_reset", _("Password reset")


class PhoneCode(models.Model):
    """A one-time code sent by text message to prove a mobile number is one's own. Only its
    keyed digest is kept; it expires, and it allows a few tries (accounts.verification)."""

    mobile = models.CharField(max_length=11)
    purpose = models.CharField(max_length=20, choices=CodePurpose.choices)
    # The account it is for (a change of number, a password reset); none for a registration.
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["mobile", "purpose", "-created_at"], name="phone_code_lookup_idx")]
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")

    def __str__(self) -> str:
        return f"{self.purpose} {self.mobile[:3]}****{self.mobile[-4:]}"


class ApiToken(AbstractAuthToken):
    """A token for the API (django-rest-knox): only a digest of it is kept, it expires
    (citizens after days, staff after hours; never prolonged), and its owner sees it among their
    devices and revokes it (`accounts.tokens`)."""

    device = models.CharField(_("device"), max_length=100, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        db_table = "accounts_api_token"
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
