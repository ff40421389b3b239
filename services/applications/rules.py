"""The rules an application meets before it becomes a case, whatever the channel it comes
by. The pages (each question page, the materials page, "check your answers") and the API
(`actions.application_send`) ask them here and nowhere else, so that a rule holds for
every channel and its refusal reads the same in each:

- an answer a department verified, used with the citizen's consent, is the registry's:
  another value is refused (`answers_locked`);
- without that consent nothing from a registry is used (`draft_verified` gives nothing);
- every answer passes the service's form (`catalog.schema.answers_clean`);
- every material is there (uploaded or met by a wallet document), or may follow later
  (容缺, `Material.deferrable_days`) — nothing else may be left out (`materials_check`).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from services.applications.models import Draft
from services.applications.selectors import draft_verified
from services.catalog.models import Material, Service
from services.catalog.schema import answers_clean, answers_form_class, visible_fields
from services.core.errors import InvalidInput
from services.records.uploads import draft_materials, materials_met


def _same(spec: dict, given, verified: str) -> bool:
    # Compared as the question reads them: "+86 138 0013 8001" is the number 13800138001,
    # an ID number's check character may come in either case, spaces around change nothing.
    field = answers_form_class({"groups": [{"fields": [spec]}]}).base_fields[spec["name"]]
    try:
        return field.clean(str(given)) == field.clean(verified)
    except ValidationError:
        return str(given).strip() == verified.strip()


def answers_locked(*, fields: list[dict], data, verified: dict) -> dict[str, list[str]]:
    """For each question of `fields` filled from a verified attribute in `verified`, an error
    when `data` gives it another value. An answer not given is no change: the page's input
    is disabled, so a browser does not send it."""
    errors = {}
    for spec in fields:
        attribute = verified.get(spec.get("verified", ""))
        given = data.get(spec["name"])
        if attribute is None or given in (None, "") or _same(spec, given, attribute.plain):
            continue
        message = _(
            "Verified by %(department)s on %(date)s: this answer cannot be changed. Wrong? Report it under “My data”."
        )
        place = {"department": attribute.registry.department.name, "date": attribute.verified_at.date().isoformat()}
        errors[spec["name"]] = [message % place]
    return errors


def answers_with_verified(*, service: Service, answers: dict, verified: dict) -> dict:
    """The answers with every question filled from a verified attribute set to the
    registry's value, as the pages show it."""
    filled = dict(answers)
    for group in service.form_schema.get("groups", []):
        for spec in group["fields"]:
            attribute = verified.get(spec.get("verified", ""))
            if attribute is not None:
                filled[spec["name"]] = attribute.plain
    return filled


def materials_missing(*, rows: list[dict]) -> list[Material]:
    """The materials still needed before the application may be sent (`rows` as records'
    `materials_met` gives them): a required one that is neither there nor allowed to follow."""
    return [row["material"] for row in rows if row["missing"]]


def materials_check(*, rows: list[dict]) -> None:
    missing = materials_missing(rows=rows)
    if missing:
        raise InvalidInput(
            _("Upload these materials first: %(names)s.") % {"names": "、".join(m.name for m in missing)},
            errors={"materials": [m.name for m in missing]},
        )


def application_check(*, citizen, service: Service, answers: dict, draft: Draft | None) -> list[dict]:
    """Whether `answers` and the materials may become a case of `service`. The draft, when
    there is one, brings the citizen's consent (and so the verified answers) and the files.
    Returns the materials' rows; raises InvalidInput with what the citizen must do."""
    verified = draft_verified(draft=draft) if draft is not None else {}
    if isinstance(answers, dict):
        asked = visible_fields(service.form_schema, answers)
        fields = [f for g in service.form_schema.get("groups", []) for f in g["fields"] if f["name"] in asked]
        locked = answers_locked(fields=fields, data=answers, verified=verified)
        if locked:
            raise InvalidInput(_("Some answers need your attention."), errors=locked)
    answers_clean(schema=service.form_schema, data=answers)
    rows = application_materials(citizen=citizen, service=service, draft=draft)
    materials_check(rows=rows)
    return rows


def application_materials(*, citizen, service: Service, draft: Draft | None) -> list[dict]:
    """The materials of an application: the draft's files, or none without a draft, and the
    citizen's wallet documents."""
    if draft is not None:
        return draft_materials(draft=draft)
    return materials_met(citizen=citizen, service=service, uploads=[])
