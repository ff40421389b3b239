from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from services.accounts.selectors import user_find_by_identifier


class MobileOrEmailBackend(ModelBackend):
    """Sign in with a mainland mobile number, an email address or a staff username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = user_find_by_identifier(identifier=username)
        if user is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
