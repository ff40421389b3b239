from django.contrib.auth import get_user_model

from services.accounts.constants import StaffRole
from services.accounts.models import Membership
from services.core.validators import MOBILE_RE, normalize_mobile


def user_find_by_identifier(*, identifier: str):
    User = get_user_model()
    identifier = (identifier or "").strip()
    mobile = normalize_mobile(identifier)
    if MOBILE_RE.match(mobile):
        return User.objects.filter(mobile=mobile).first()
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier).first()
    return User.objects.filter(username=identifier).first()


def department_admins(*, department_id: int) -> list:
    """The administrators of a department: whom its escalations and complaints reach."""
    return [
        m.user
        for m in Membership.objects.filter(department_id=department_id, role=StaffRole.DEPARTMENT_ADMIN).select_related(
            "user"
        )
    ]
