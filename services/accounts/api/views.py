from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


class TokenInput(AuthTokenSerializer):
    username = serializers.CharField(label="Mobile number, email or staff username", write_only=True)


class TokenObtainApi(APIView):
    """A token for a mobile number, email or staff username and its password."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenInput,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField(), "kind": serializers.CharField()}),
        operation_id="auth_token_create",
    )
    def post(self, request):
        serializer = TokenInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "kind": user.kind})
