from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.accounts.signin import refusal_of, sign_in_guard
from services.core.errors import TooManyRequests


class TokenInput(AuthTokenSerializer):
    username = serializers.CharField(label="Mobile number, email or staff username", write_only=True)

    def validate(self, attrs):
        # The guard first: a try that must wait is refused before the password is checked.
        sign_in_guard(self.context["request"], attrs.get("username", ""))
        return super().validate(attrs)


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
