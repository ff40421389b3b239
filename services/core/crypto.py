"""Personal data at rest: encryption (Fernet: AES with an HMAC, keys rotatable) and keyed blind
indexes, so that a resident ID number is stored only encrypted and can still be found.

Keys come from settings: FIELD_ENCRYPTION_KEYS (the first encrypts; all decrypt, for
rotation) and BLIND_INDEX_KEY. Production has no default for either.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from services.core.validators import ID_NUMBER_RE, id_number_check_digit, normalize_id_number

ENCRYPTED = "__enc__"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or damaged value") from exc


def blind_index(value: str, *, purpose: str = "id_number") -> str:
    """A keyed digest to look a value up by, without storing it: equal inputs, equal digests."""
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def is_id_number(value) -> bool:
    if not isinstance(value, str):
        return False
    value = normalize_id_number(value)
    return bool(ID_NUMBER_RE.match(value)) and id_number_check_digit(value[:17]) == value[17]


def protect(value):
    """A JSON value as stored: resident ID numbers in it become {"__enc__": token}."""
    if isinstance(value, dict):
        if set(value) == {ENCRYPTED}:
            return value
        return {k: protect(v) for k, v in value.items()}
    if isinstance(value, list):
        return [protect(v) for v in value]
    if is_id_number(value):
        return {ENCRYPTED: encrypt(value)}
    return value


def reveal(value):
    """The inverse of `protect`."""
    if isinstance(value, dict):
        if set(value) == {ENCRYPTED}:
            return decrypt(value[ENCRYPTED])
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def id_numbers_in(value) -> list[str]:
    """Every resident ID number in a (plain) JSON value, normalised, for the blind index."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in id_numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in id_numbers_in(v)]
    return [normalize_id_number(value)] if is_id_number(value) else []
