"""Bilingual content stored in the database: `<field>_zh` and `<field>_en` columns, read in the
active language with Chinese as the fallback."""

from django.utils.translation import get_language


def current_is_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def localized_value(values: dict, field: str) -> str:
    """`<field>_en` or `<field>_zh` of a row read with .values(), by the rule of Bilingual."""
    return (current_is_english() and values.get(f"{field}_en")) or values.get(f"{field}_zh", "")


class Bilingual:
    """Mixin for models with name_zh/name_en-style pairs: `obj.localized("name")`."""

    def localized(self, field: str) -> str:
        if current_is_english():
            value = getattr(self, f"{field}_en", "")
            if value:
                return value
        return getattr(self, f"{field}_zh", "")

    @property
    def name(self) -> str:
        return self.localized("name")
