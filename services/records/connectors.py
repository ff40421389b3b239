"""Connectors to department registries. One interface: `lookup(id_number=...)` returns the
record as {attribute name: value}, None when the registry holds nothing, raises
ConnectorError for a failure worth retrying (timeout, connection, server error) and
ConnectorInvalid for an answer that will not get better by asking again."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from services.core.crypto import blind_index, decrypt


class ConnectorError(Exception):
    """The registry could not be reached or failed; try again later."""


class ConnectorInvalid(Exception):
    """The registry answered something that is not a valid record."""


class DatabaseConnector:
    """A registry kept in the portal's own database (RegistryRecord), by ID number's blind index."""

    def __init__(self, registry):
        self.registry = registry

    def lookup(self, *, id_number: str) -> dict | None:
        from services.records.models import RegistryRecord

        record = RegistryRecord.objects.filter(registry=self.registry, id_digest=blind_index(id_number)).first()
        if record is None:
            return None
        return _checked(json.loads(decrypt(record.payload)), self.registry.provides)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class HttpJsonConnector:
    """A department's own system: POST {"id_number", "fields"} as JSON to base_url, signed
    with the shared secret (X-Portal-Timestamp, X-Portal-Signature: HMAC-SHA256 of
    "timestamp.body"). 200 {"found": true, "data": {...}}, or 404 / {"found": false}."""

    def __init__(self, registry):
        self.registry = registry

    def lookup(self, *, id_number: str) -> dict | None:
        body = json.dumps({"id_number": id_number, "fields": self.registry.provides}).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the URL is an administrator's registry setting
            self.registry.base_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Portal-Registry": self.registry.code,
                "X-Portal-Timestamp": timestamp,
                "X-Portal-Signature": sign(self.registry.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.registry.timeout_seconds) as response:  # noqa: S310
                raw = response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            if exc.code >= 500:
                raise ConnectorError(f"the registry answered {exc.code}") from exc
            raise ConnectorInvalid(f"the registry refused the request ({exc.code})") from exc
        except TimeoutError as exc:
            raise ConnectorError(f"no answer within {self.registry.timeout_seconds} s") from exc
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            raise ConnectorError(f"cannot reach the registry: {exc}") from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise ConnectorInvalid("the registry's answer is not JSON") from exc
        if not isinstance(answer, dict) or "found" not in answer:
            raise ConnectorInvalid("the registry's answer has no 'found'")
        if not answer["found"]:
            return None
        return _checked(answer.get("data"), self.registry.provides)


def _checked(data, provides: list) -> dict:
    """Only the attributes the registry is known to provide, as text."""
    if not isinstance(data, dict):
        raise ConnectorInvalid("the record is not an object")
    record = {}
    for name in provides:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float):
            raise ConnectorInvalid(f"'{name}' is not a simple value")
        record[name] = str(value)[:500]
    return record


def connector_for(registry):
    from services.records.models import RegistryKind

    if registry.kind == RegistryKind.HTTP_JSON:
        return HttpJsonConnector(registry)
    return DatabaseConnector(registry)
