"""Bilingual content stored in the database: `<field>_zh` and `<field>_en` columns, read in the
active language with Chinese as the fallback."""

from django.utils.translation import get_language


def current_is_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


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
