"""Form schemas: the questions of a service, grouped, in both languages.

A schema is JSON:

    {"groups": [{"key": "child", "title": {"zh": "…", "en": "…"},
                 "fields": [{"name": "child_name", "type": "text", "required": true,
                             "label": {"zh": "…", "en": "…"}, "max_length": 50}]}]}

`schema_check` validates a schema definition (JSON Schema); `answers_form_class` turns it
into a Django form, which is how answers are validated on the server for pages and API alike.
"""

from datetime import date
from typing import TypedDict

import jsonschema
from django import forms
from django.utils.translation import gettext as _

from services.catalog.constants import CONDITION_OPERATORS, FIELD_TYPES
from services.core.errors import InvalidInput
from services.core.i18n import current_is_english
from services.core.validators import (
    normalize_credit_code,
    normalize_id_number,
    normalize_mobile,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

_TEXT = {
    "type": "object",
    "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
    "required": ["zh", "en"],
    "additionalProperties": False,
}

META_SCHEMA = {
    "type": "object",
    "required": ["groups"],
    "additionalProperties": False,
    "properties": {
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "title", "fields"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "title": _TEXT,
                    "fields": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["name", "type", "label"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                                "type": {"enum": list(FIELD_TYPES)},
                                "label": _TEXT,
                                "help": _TEXT,
                                "required": {"type": "boolean"},
                                "max_length": {"type": "integer", "minimum": 1, "maximum": 2000},
                                "min": {"type": "integer"},
                                "max": {"type": "integer"},
                                "verified": {
                                    "type": "string",
                                    "description": "A verified attribute that fills the answer: shown, not editable.",
                                },
                                "show_if": {
                                    "type": "object",
                                    "description": "Ask only when an earlier answer matches (a stage condition).",
                                },
                                "choices": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["value", "label"],
                                        "additionalProperties": False,
                                        "properties": {"value": {"type": "string"}, "label": _TEXT},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def schema_check(schema) -> list[str]:
    """Problems with a schema definition; empty when it is usable."""
    validator = jsonschema.Draft202012Validator(META_SCHEMA)
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(schema)
    ]
    if problems:
        return problems
    names = [f["name"] for g in schema["groups"] for f in g["fields"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"field names used twice: {', '.join(duplicates)}")
    earlier: list[dict] = []
    for group in schema["groups"]:
        for field in group["fields"]:
            if "show_if" in field:
                # A question may depend only on questions asked before it.
                known = {"groups": [{"fields": earlier}]}
                problems += [f"{field['name']}.show_if: {p}" for p in condition_check(field["show_if"], schema=known)]
            earlier.append(field)
    for group in schema["groups"]:
        for field in group["fields"]:
            if field["type"] == "choice" and not field.get("choices"):
                problems.append(f"{field['name']}: a choice field needs choices")
    return problems


class Text(TypedDict):
    """A text in both languages, as the meta-schema requires it (`_TEXT`)."""

    zh: str
    en: str


def text(value: Text | None) -> str:
    if not value:
        return ""
    return value.get("en") if current_is_english() else value.get("zh")


class MobileField(forms.CharField):
    default_validators = [validate_mobile]

    def to_python(self, value):
        # None only with empty_value=None, which normalizing reads as "" all the same.
        return normalize_mobile(super().to_python(value) or "")


class CreditCodeField(forms.CharField):
    default_validators = [validate_credit_code]

    def to_python(self, value):
        # None only with empty_value=None, which normalizing reads as "" all the same.
        return normalize_credit_code(super().to_python(value) or "")


class IdNumberField(forms.CharField):
    default_validators = [validate_id_number]

    def to_python(self, value):
        # None only with empty_value=None, which normalizing reads as "" all the same.
        return normalize_id_number(super().to_python(value) or "")


def _form_field(spec: dict) -> forms.Field:
    common = {
        "label": text(spec["label"]),
        "required": spec.get("required", False),
        "help_text": text(spec.get("help")),
    }
    kind = spec["type"]
    if kind == "text":
        return forms.CharField(max_length=spec.get("max_length", 200), **common)
    if kind == "textarea":
        return forms.CharField(
            max_length=spec.get("max_length", 2000), widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if kind == "choice":
        choices = [("", "—")] + [(c["value"], text(c["label"])) for c in spec["choices"]]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "id_number":
        return IdNumberField(max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"}), **common)
    if kind == "mobile":
        return MobileField(
            max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}), **common
        )
    if kind == "email":
        return forms.EmailField(**common)
    if kind == "credit_code":
        return CreditCodeField(max_length=18, widget=forms.TextInput(attrs={"autocapitalize": "characters"}), **common)
    raise ValueError(f"unknown field type {kind}")


def answers_form_class(schema: dict) -> type[forms.Form]:
    fields = {spec["name"]: _form_field(spec) for group in schema["groups"] for spec in group["fields"]}
    return type("AnswersForm", (forms.Form,), fields)


def _to_json(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def visible_fields(schema: dict, answers: dict) -> set[str]:
    """The questions asked, given the answers: a question with `show_if` is asked only when
    the condition holds for the answers given before it."""
    visible = set()
    for group in schema.get("groups", []):
        for spec in group["fields"]:
            shown = {k: v for k, v in answers.items() if k in visible}
            if condition_holds(spec.get("show_if"), shown):
                visible.add(spec["name"])
    return visible


def answers_clean(*, schema: dict, data: dict) -> dict:
    """Validate answers against the schema: returns JSON-ready values, or raises InvalidInput
    with a message per field in the active language. Unknown keys are an error, so that a
    client never believes something was saved that was not."""
    if not isinstance(data, dict):
        raise InvalidInput(_("The answers must be an object of field names and values."), errors={})
    form_class = answers_form_class(schema)
    unknown = sorted(set(data) - set(form_class.base_fields))
    # A form reads text: numbers become text, anything else (lists, objects, true/false) is
    # an error of its own rather than a crash deep in a field.
    not_scalar = sorted(k for k, v in data.items() if isinstance(v, bool | list | dict))
    raw = {k: ("" if v is None else str(v)) for k, v in data.items() if k not in not_scalar}
    asked = visible_fields(schema, raw)
    form = form_class(data={k: v for k, v in raw.items() if k in asked})
    for name, field in form.fields.items():
        if name not in asked:
            field.required = False  # not asked, so not needed; an answer given anyway is dropped
    if not form.is_valid() or unknown or not_scalar:
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        for name in unknown:
            errors[name] = [_("This question is not part of this service.")]
        for name in not_scalar:
            if name not in unknown:
                errors[name] = [_("Give this answer as text or a number.")]
        raise InvalidInput(_("Some answers need your attention."), errors=errors)
    return {
        name: _to_json(value) for name, value in form.cleaned_data.items() if value not in (None, "") and name in asked
    }


def schema_questions(schema: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group title, [(field name, label)]) in the active language, for showing answers."""
    return [
        (text(group["title"]), [(f["name"], text(f["label"])) for f in group["fields"]])
        for group in schema.get("groups", [])
    ]


def answer_display(schema: dict, name: str, value) -> str:
    """An answer as a person reads it: the label of a chosen option, the value otherwise."""
    for group in schema.get("groups", []):
        for spec in group["fields"]:
            if spec["name"] == name and spec["type"] == "choice":
                for choice in spec["choices"]:
                    if choice["value"] == value:
                        return text(choice["label"])
    return "" if value is None else str(value)


def condition_check(condition, *, schema: dict) -> list[str]:
    """Problems with a stage condition, given the service's form schema."""
    if not isinstance(condition, dict):
        return ["a condition is an object with field, op and value"]
    names = {f["name"] for g in schema.get("groups", []) for f in g["fields"]}
    problems = []
    if condition.get("field") not in names:
        problems.append(f"unknown field: {condition.get('field')!r}")
    if condition.get("op") not in CONDITION_OPERATORS:
        problems.append(f"op must be one of {', '.join(CONDITION_OPERATORS)}")
    if condition.get("op") != "answered" and "value" not in condition:
        problems.append("a value is needed")
    if condition.get("op") == "in" and not isinstance(condition.get("value"), list):
        problems.append("the value of 'in' is a list")
    return problems


def condition_holds(condition: dict | None, answers: dict) -> bool:
    """Whether a stage with this condition applies to these answers. No condition: it does."""
    if not condition:
        return True
    answer = answers.get(condition["field"])
    op, expected = condition["op"], condition.get("value")
    if op == "answered":
        return answer not in (None, "")
    if answer is None:
        return op == "not_equals"
    if op == "equals":
        return str(answer) == str(expected)
    if op == "not_equals":
        return str(answer) != str(expected)
    if op == "contains":
        return str(expected) in str(answer)
    if op == "in":
        if expected is None:
            raise TypeError("the value of 'in' is a list")  # as iterating None would
        return str(answer) in {str(v) for v in expected}
    if expected is None:
        return False  # not a number, as below
    try:
        number, limit = float(answer), float(expected)
    except (TypeError, ValueError):
        return False
    return number >= limit if op == "gte" else number <= limit


def schema_field_types(schema: dict) -> dict[str, str]:
    return {f["name"]: f["type"] for g in schema.get("groups", []) for f in g["fields"]}


def schema_field_label(schema: dict, name: str) -> str:
    for group in schema.get("groups", []):
        for spec in group["fields"]:
            if spec["name"] == name:
                return text(spec["label"])
    return name
