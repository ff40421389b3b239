from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.records import licences


class VerificationOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=[licences.VALID, licences.REVOKED, licences.UNKNOWN])
    document_type = serializers.CharField(required=False)
    number = serializers.CharField(required=False)
    holder = serializers.CharField(required=False, help_text="Masked: the family name only.")
    issuer = serializers.CharField(required=False)
    issued_on = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)


class LicenceVerifyApi(APIView):
    """Check an e-licence by its verification code: valid, revoked or unknown, and only the
    minimum about it. Anyone may ask; 404 for an unknown or tampered code."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: VerificationOut, 404: VerificationOut})
    def get(self, request, code: str):
        status, document = licences.licence_verify(code=code)
        if document is None:
            return Response({"status": status}, status=404)
        return Response(VerificationOut({"status": status, **licences.licence_public_facts(document)}).data)
