from django.contrib.auth import get_user_model

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
