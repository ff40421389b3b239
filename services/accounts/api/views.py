from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.accounts.second_factor import has_second_factor, needs_second_factor, second_factor_check
from services.accounts.signin import refusal_of, sign_in_guard
from services.core.errors import Forbidden, TooManyRequests


class TokenInput(AuthTokenSerializer):
    username = serializers.CharField(label="Mobile number, email or staff username", write_only=True)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        write_only=True,
        help_text="Staff: the code of their authenticator app (or a recovery code). Citizens leave it out.",
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
    """A token for a mobile number, email or staff username and its password."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenInput,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField(), "kind": serializers.CharField()}),
        operation_id="auth_token_create",
    )
    def post(self, request):
        serializer = TokenInput(data=request.data, context={"request": request})
        if not serializer.is_valid():
            refusal = refusal_of(request)  # the wrong password that locked the account
            if refusal is not None:
                raise TooManyRequests(
                    refusal.message, retry_after=refusal.retry_after, code=refusal.code, status=refusal.status
                )
            serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "kind": user.kind})
