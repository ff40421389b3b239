from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from services.accounts.second_factor import has_second_factor, needs_second_factor, second_factor_check
from services.accounts.signin import refusal_of, sign_in_guard
from services.accounts.tokens import PortalTokenAuthentication, token_issue, tokens_revoke_all
from services.core.api import json_object
from services.core.errors import Forbidden, PortalError, TooManyRequests


class TokenInput(AuthTokenSerializer):
    username = serializers.CharField(label="Mobile number, email or staff username", write_only=True)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        write_only=True,
        help_text="Staff: the code of their authenticator app (or a recovery code). Citizens leave it out.",
    )
    device = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        write_only=True,
        help_text="A name for the device or app the token is for, shown on the account's devices page.",
    )

    def validate(self, attrs):
        # The guard first: a try that must wait is refused before the password is checked.
        sign_in_guard(self.context["request"], attrs.get("username", ""))
        attrs = super().validate(attrs)
        user = attrs["user"]
        if needs_second_factor(user):
            if not has_second_factor(user):
                raise Forbidden(
                    _("Sign in on the website first to set up your second factor."), code="second_factor_required"
                )
            second_factor_check(user=user, code=attrs.get("otp", ""))
        return attrs


class TokenObtainApi(APIView):
    """A new token for a mobile number, email or staff username and its password (staff: and
    the code of their authenticator app). It expires (`expiry`): a citizen's after days, a
    staff member's after hours."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenInput,
        responses=inline_serializer(
            "TokenOutput",
            {"token": serializers.CharField(), "kind": serializers.CharField(), "expiry": serializers.DateTimeField()},
        ),
        operation_id="auth_token_create",
    )
    def post(self, request):
        serializer = TokenInput(data=json_object(request.data), context={"request": request})
        if not serializer.is_valid():
            refusal = refusal_of(request)  # the wrong password that locked the account
            if refusal is not None:
                raise TooManyRequests(
                    refusal.message, retry_after=refusal.retry_after, code=refusal.code, status=refusal.status
                )
            refused = ValidationError(serializer.errors)
            if refused.get_codes() == {"non_field_errors": ["authorization"]}:
                # Well-formed, but no account has this name and password: not signed in (401).
                raise PortalError(serializer.errors["non_field_errors"][0], code="invalid_credentials", status=401)
            raise refused
        user = serializer.validated_data["user"]
        token, secret = token_issue(user=user, device=serializer.validated_data.get("device", ""))
        return Response({"token": secret, "kind": user.kind, "expiry": token.expiry})


class TokenLogoutApi(APIView):
    """Sign out: the token this request carries is revoked at once."""

    authentication_classes = [PortalTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request):
        request.auth.delete()
        return Response(status=204)


class TokenLogoutAllApi(APIView):
    """Sign out everywhere: every token of the account is revoked (all its devices)."""

    authentication_classes = [PortalTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout_all")
    def post(self, request):
        tokens_revoke_all(user=request.user)
        return Response(status=204)
