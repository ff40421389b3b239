from django.contrib.auth import get_user_model

from services.accounts.constants import DECIDING_ROLES
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


def staff_department_ids(*, user) -> set[int]:
    """Departments in which `user` may work on steps."""
    if not user.is_authenticated or not getattr(user, "is_portal_staff", False):
        return set()
    return set(
        Membership.objects.filter(user=user, role__in=DECIDING_ROLES, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )
