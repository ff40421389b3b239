"""The OpenAPI schema's description of refusals (drf-spectacular), shared by every context.
Apart from `services.core.api` because drf-spectacular's AutoSchema imports DRF's generic
views, which read the pagination class named in the settings: the one in `api`."""

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from services.core.api import ERROR_DESCRIPTIONS, ErrorOut


class ContractAutoSchema(AutoSchema):
    """Every operation documents every status it can answer, each refusal with `ErrorOut`:

    - 401 and 403 everywhere: a session that ran out or a refused token is 401, and a staff
      session still waiting for its second factor is 403, before any view runs;
    - 400 (and 415) where there is a body or a query to refuse;
    - 404 where the path names an object, or a list has pages;
    - 429 where a rate limit counts the operation (`rate_limited`);
    - and what a view adds with `error_responses` (404 for an object the body names, 409).
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & schema.keys()
            # A field checked by a regular expression (slugs, RegexField) has it as its pattern.
            and not any(isinstance(validator, RegexValidator) for validator in field.validators)
        ):
            # What DRF's CharField refuses, said in the schema: a NUL character anywhere, and
            # (unless blank is allowed) a text of nothing but spaces, which it trims to nothing.
            schema["pattern"] = "^[^\\x00]*$" if field.allow_blank else "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
        return schema

    def rate_limited(self) -> bool:
        """Whether a rate limit counts this operation; the composition (portal) knows the table."""
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        statuses = {401, 403}
        if "requestBody" in operation:
            statuses |= {400, 415}
        if any(p["in"] == "query" for p in parameters):
            statuses.add(400)
        if any(p["in"] == "path" for p in parameters) or (self._is_list_view() and self._get_paginator()):
            statuses.add(404)
        if self.rate_limited():
            statuses.add(429)
        responses = operation.setdefault("responses", {})
        for status in sorted(statuses):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[status]), str(status)
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation
