from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from services.accounts.constants import UserKind
from services.core.errors import PortalError


@transaction.atomic
def citizen_register(*, full_name: str, password: str, mobile: str = "", email: str = ""):
    """Create a citizen account. At least one of mobile and email is required; each may
    belong to one account only."""
    User = get_user_model()
    email = (email or "").strip().lower()
    if not mobile and not email:
        raise PortalError(_("Enter a mobile number or an email address."))
    if mobile and User.objects.filter(mobile=mobile).exists():
        raise PortalError(_("An account with this mobile number already exists."), code="duplicate")
    if email and User.objects.filter(email__iexact=email).exists():
        raise PortalError(_("An account with this email address already exists."), code="duplicate")
    # NULL, not "", for a missing mobile or email (unique columns).
    user = User(
        username=mobile or email,
        mobile=mobile or None,
        email=email or None,
        full_name=full_name,
        kind=UserKind.CITIZEN,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration took the same identifier
        raise PortalError(_("An account with these details already exists."), code="duplicate") from exc
    return user
