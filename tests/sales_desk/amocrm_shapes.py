"""What the amoCRM stand-in accepts: the shapes of request bodies, and amoCRM's
`validation-errors` for the rest (see the team's notes, "crm-apis.md" §3).

Each check either passes or raises `Invalid` with every (path, code, detail) it found, the
way amoCRM lists them. It is stricter than amoCRM where that catches client mistakes: unknown
lead fields, unknown custom field codes and unknown statuses are refused.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any, Protocol

PHONE_ENUMS = frozenset({"WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"})
EMAIL_ENUMS = frozenset({"WORK", "PRIV", "OTHER"})
LEAD_FIELD_CODES = frozenset(
    {
        "UTM_SOURCE",
        "UTM_MEDIUM",
        "UTM_CAMPAIGN",
        "UTM_CONTENT",
        "UTM_TERM",
        "UTM_REFERRER",
        "REFERRER",
    }
)
CONTACT_FIELD_CODES = frozenset({"PHONE", "EMAIL", "POSITION"})
MAX_LEADS_PER_REQUEST = 50
MAX_FIELD_VALUES = 40  # custom-field values per entity in a complex add
_LEAD_KEYS = frozenset(
    {
        "name",
        "price",
        "status_id",
        "pipeline_id",
        "responsible_user_id",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
        "closed_at",
        "loss_reason_id",
        "custom_fields_values",
        "_embedded",
        "request_id",
    }
)
_PATCH_KEYS = _LEAD_KEYS - {"created_by", "created_at"} | {"id", "tags_to_add", "tags_to_delete"}
_CONTACT_KEYS = frozenset(
    {"id", "name", "first_name", "last_name", "responsible_user_id", "custom_fields_values"}
    | {"_embedded", "request_id"}
)
_INT_FIELDS = ("price", "status_id", "pipeline_id", "responsible_user_id", "created_by")

Error = tuple[str, str, str]  # path, code, detail: one item of amoCRM's validation errors
_DETAILS = {
    "InvalidType": "This value has the wrong type.",
    "NotSupportedChoice": "The value you selected is not a valid choice.",
    "NotBlank": "This value should not be blank.",
    "TooFew": "This collection should contain 1 element or more.",
    "TooMany": "This collection contains too many elements.",
    "ExtraField": "This field was not expected.",
    "NotFound": "Entity not found.",
    "Empty": "Request data can not be empty",
}


class Invalid(Exception):
    """A 400 with amoCRM's `validation-errors` body."""

    def __init__(self, request_id: str, errors: list[Error]) -> None:
        super().__init__(errors[0][1])
        self.request_id = request_id
        self.errors = errors  # (path, code, detail)


class EmptyRequest(Invalid):
    """An empty body: amoCRM answers it with a plain problem, not `validation-errors`."""

    def __init__(self) -> None:
        super().__init__("0", [_err("", "Empty")])


class Account(Protocol):
    """What the checks need to know about the account (`AmoCrmReceiver` is one)."""

    @property
    def statuses(self) -> frozenset[int]: ...
    @property
    def field_ids(self) -> frozenset[int]: ...
    @property
    def leads(self) -> Container[int]: ...
    @property
    def contacts(self) -> Container[int]: ...


def batch(body: Any, limit: int) -> list[Any]:
    """The request's array of entities, or the 400 amoCRM gives for anything else."""
    if body is None or body == [] or body == {}:
        raise EmptyRequest
    if not isinstance(body, list):
        raise Invalid("0", [_err("", "InvalidType")])
    if len(body) > limit:
        raise Invalid("0", [_err("", "TooMany")])
    return body


def check_complex_lead(lead: Any, index: int, account: Account) -> None:
    """A lead of a complex add (POST /api/v4/leads/complex), or `Invalid`."""
    request_id = str(lead.get("request_id", index)) if isinstance(lead, dict) else str(index)
    errors = _check_lead_fields(lead, _LEAD_KEYS, account.statuses, account.field_ids)
    if isinstance(lead, dict):
        errors += _check_embedded(lead.get("_embedded"), account)
    if errors:
        raise Invalid(request_id, errors)


def check_patch(change: Any, index: int, account: Account) -> None:
    """A change of a lead update (PATCH /api/v4/leads), or `Invalid`."""
    errors = _check_lead_fields(change, _PATCH_KEYS, account.statuses, account.field_ids)
    if isinstance(change, dict):
        errors += _check_embedded(change.get("_embedded"), account)
        lead_id = change.get("id")
        if not _is_int(lead_id):
            errors.append(_err("id", "InvalidType"))
        elif lead_id not in account.leads:
            errors.append(_err("id", "NotFound"))
    if errors:
        raise Invalid(str(index), errors)


def check_note(note: Any, index: int) -> None:
    """A note of POST /api/v4/leads/{id}/notes (only "common" ones), or `Invalid`."""
    if not isinstance(note, dict):
        raise Invalid(str(index), [_err("", "InvalidType")])
    if note.get("note_type") != "common":
        raise Invalid(
            str(index),
            [_err("note_type", "NotSupportedChoice")],
        )
    params = note.get("params")
    text = params.get("text") if isinstance(params, dict) else None
    if not isinstance(text, str) or not text:
        raise Invalid(str(index), [_err("params.text", "NotBlank")])


def _check_lead_fields(
    lead: Any, allowed: frozenset[str], statuses: frozenset[int], field_ids: frozenset[int]
) -> list[Error]:
    if not isinstance(lead, dict):
        return [_err("", "InvalidType")]
    errors = [_err(key, "ExtraField") for key in lead if key not in allowed]
    if "name" in lead and not isinstance(lead["name"], str):
        errors.append(_err("name", "InvalidType"))
    for key in _INT_FIELDS:
        if key in lead and not _is_int(lead[key]):
            errors.append(_err(key, "InvalidType"))
    if _is_int(lead.get("status_id")) and lead["status_id"] not in statuses:
        errors.append(_err("status_id", "NotSupportedChoice"))
    if "custom_fields_values" in lead:
        errors += _check_custom_fields(
            lead["custom_fields_values"], "custom_fields_values", LEAD_FIELD_CODES, field_ids
        )
    if "request_id" in lead and not isinstance(lead["request_id"], str):
        errors.append(_err("request_id", "InvalidType"))
    for key in ("tags_to_add", "tags_to_delete"):
        if key in lead:
            errors += _check_tags(lead[key], key)
    return errors


def _check_embedded(embedded: Any, account: Account) -> list[Error]:
    if embedded is None:
        return []
    if not isinstance(embedded, dict):
        return [_err("_embedded", "InvalidType")]
    errors = _check_tags(embedded.get("tags"), "_embedded.tags")
    contacts = embedded.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, list):
            errors.append(_err("_embedded.contacts", "InvalidType"))
        elif len(contacts) > 1:
            errors.append(_err("_embedded.contacts", "TooMany"))
        else:
            for position, contact in enumerate(contacts):
                errors += _check_contact(contact, f"_embedded.contacts.{position}", account)
    companies = embedded.get("companies")
    if companies is not None and (not isinstance(companies, list) or len(companies) > 1):
        errors.append(_err("_embedded.companies", "TooMany"))
    return errors


def _check_contact(contact: Any, path: str, account: Account) -> list[Error]:
    if not isinstance(contact, dict):
        return [_err(path, "InvalidType")]
    errors = [_err(f"{path}.{key}", "ExtraField") for key in contact if key not in _CONTACT_KEYS]
    if "id" in contact:
        if not _is_int(contact["id"]) or contact["id"] not in account.contacts:
            errors.append(_err(f"{path}.id", "NotFound"))
        return errors
    for key in ("name", "first_name", "last_name"):
        if key in contact and not isinstance(contact[key], str):
            errors.append(_err(f"{path}.{key}", "InvalidType"))
    if "custom_fields_values" in contact:
        errors += _check_custom_fields(
            contact["custom_fields_values"],
            f"{path}.custom_fields_values",
            CONTACT_FIELD_CODES,
            account.field_ids,
        )
    return errors


def _check_custom_fields(
    fields: Any, path: str, codes: frozenset[str], field_ids: frozenset[int]
) -> list[Error]:
    if not isinstance(fields, list):
        return [_err(path, "InvalidType")]
    if not fields:
        return [_err(path, "TooFew")]
    errors: list[Error] = []
    total = 0
    for index, item in enumerate(fields):
        at = f"{path}.{index}"
        if not isinstance(item, dict):
            errors.append(_err(at, "InvalidType"))
            continue
        code = item.get("field_code")
        if "field_id" in item:
            if not _is_int(item["field_id"]) or item["field_id"] not in field_ids:
                errors.append(_err(f"{at}.field_id", "NotSupportedChoice"))
        elif code is None:
            errors.append(_err(f"{at}.field_id", "NotBlank"))
        elif code not in codes:
            errors.append(_err(f"{at}.field_code", "NotSupportedChoice"))
        values = item.get("values")
        if not isinstance(values, list) or not values:
            errors.append(_err(f"{at}.values", "TooFew"))
            continue
        total += len(values)
        enums = (
            {"PHONE": PHONE_ENUMS, "EMAIL": EMAIL_ENUMS}.get(code)
            if isinstance(code, str)
            else None
        )
        for position, value in enumerate(values):
            errors += _check_value(value, f"{at}.values.{position}", enums)
    if total > MAX_FIELD_VALUES:
        errors.append(_err(path, "TooMany"))
    return errors


def _check_value(value: Any, path: str, enums: frozenset[str] | None) -> list[Error]:
    if not isinstance(value, dict) or "value" not in value:
        return [_err(f"{path}.value", "NotBlank")]
    if not isinstance(value["value"], str | int | float | bool) or value["value"] == "":
        return [_err(f"{path}.value", "InvalidType")]
    if enums is not None and "enum_code" in value and value["enum_code"] not in enums:
        return [_err(f"{path}.enum_code", "NotSupportedChoice")]
    return []


def _check_tags(tags: Any, path: str) -> list[Error]:
    if tags is None:
        return []
    if not isinstance(tags, list):
        return [_err(path, "InvalidType")]
    errors = []
    for index, tag in enumerate(tags):
        named = isinstance(tag, dict) and isinstance(tag.get("name"), str) and tag["name"]
        by_id = isinstance(tag, dict) and _is_int(tag.get("id"))
        if not (named or by_id):
            errors.append(_err(f"{path}.{index}", "NotBlank"))
    return errors


def _err(path: str, code: str) -> Error:
    return (path, code, _DETAILS[code])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
