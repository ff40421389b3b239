from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What happened. Stable codes: the monitoring rules and the reports count them."""

    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    ACCOUNT_LOCKED = "account_locked", _("Account locked")
    ACCOUNT_UNLOCKED = "account_unlocked", _("Account unlocked")
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor set up")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor code wrong")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor cleared")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    PASSWORD_RESET = "password_reset", _("Password reset")
    MOBILE_CHANGED = "mobile_changed", _("Mobile number changed")
    PERSONAL_DATA_READ = "personal_data_read", _("Personal data read")
    PERSONAL_DATA_DENIED = "personal_data_denied", _("Personal data refused")
    OBJECT_REFUSED = "object_refused", _("Opening another department's case refused")
    MEMBERSHIP_ADDED = "membership_added", _("Role given")
    MEMBERSHIP_REMOVED = "membership_removed", _("Role taken away")
    ADMIN_ADDED = "admin_added", _("Added in the admin")
    ADMIN_CHANGED = "admin_changed", _("Changed in the admin")
    ADMIN_DELETED = "admin_deleted", _("Deleted in the admin")
    EXPORT = "export", _("Data exported")
    AUDIT_READ = "audit_read", _("Audit records read")
    ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Security alert acknowledged")
