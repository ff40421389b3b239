"""Masking for personal data shown on staff screens."""


def mask_id_number(value: str) -> str:
    """110105199001011234 -> 110105********1234"""
    if not value or len(value) < 10:
        return "*" * len(value or "")
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """13812345678 -> 138****5678"""
    if not value or len(value) < 7:
        return "*" * len(value or "")
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张三丰 -> 张**"""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
