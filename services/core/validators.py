"""Validators for Chinese identifiers, with messages in the active language."""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def to_halfwidth(value: str) -> str:
    """Chinese input methods often type full-width digits and letters (１３８, Ｘ): fold them."""
    return unicodedata.normalize("NFKC", value or "")


def normalize_id_number(value: str) -> str:
    return to_halfwidth(value).strip().upper()


def normalize_mobile(value: str) -> str:
    value = to_halfwidth(value).strip().replace(" ", "").replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_mobile(value: str) -> None:
    """A mainland China mobile number: 11 digits starting 13-19."""
    if not MOBILE_RE.match(normalize_mobile(value)):
        raise ValidationError(_("Enter a mainland mobile number of 11 digits, for example 13812345678."), code="mobile")


def id_number_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    """A resident identity number under GB 11643-1999: 18 characters, a real birth date and
    the ISO 7064 MOD 11-2 check character."""
    value = normalize_id_number(value)
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits, then a digit or X."), code="id_number"
        )
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("This resident ID number does not contain a valid date of birth."), code="id_number"
        ) from None
    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("This resident ID number is not valid: check it for a typing error."), code="id_number")


CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize_credit_code(value: str) -> str:
    return to_halfwidth(value).strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """A unified social credit code under GB 32100-2015: 18 characters (no I, O, S, V or Z),
    a registration authority, a 6-digit region code, and a MOD 31 check character."""
    value = normalize_credit_code(value)
    if not CREDIT_CODE_RE.match(value):
        raise ValidationError(
            _("A unified social credit code has 18 digits and capital letters (never I, O, S, V or Z)."),
            code="credit_code",
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("This unified social credit code is not valid: check it for a typing error."), code="credit_code"
        )
