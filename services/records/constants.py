from django.utils.translation import gettext_lazy as _

# Names of the verified attributes the registries provide, as people read them.
ATTRIBUTE_LABELS = {
    "full_name": _("Full name"),
    "birth_date": _("Date of birth"),
    "hukou_address": _("Household registration address"),
    "marital_status": _("Marital status"),
    "enterprise_name": _("Enterprise"),
    "degree": _("Highest degree"),
    "mobile": _("Mobile number on record"),
}
