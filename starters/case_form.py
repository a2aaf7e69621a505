"""``casefac open``: a case request from a YAML/JSON file and/or flags, validated before anything starts.

Flags override the file field by field, so a template file plus ``--case-id`` works. Amounts are decimal
strings (``"USD 500.00"``), parsed to minor units here; a float in the file is refused by the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from casefac.case import CaseRequest
from casefac.parties import Actor
from starters.parsing import InputError, parse_money_with_currency

#: flag name → path in the request document.
FLAG_PATHS: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id",),
    "advocate_id": ("advocate", "id"),
    "advocate_name": ("advocate", "name"),
    "advocate_org": ("advocate", "organization"),
    "advocate_email": ("advocate", "email"),
    "advocate_country": ("advocate", "country"),
    "advocate_language": ("advocate", "language"),
    "billing_currency": ("advocate", "billing_currency"),
    "client_name": ("client", "full_name"),
    "client_dob": ("client", "date_of_birth"),
    "client_location": ("client", "last_known_location"),
    "client_contact": ("client", "contact_notes"),
    "country": ("country",),
    "matter_type": ("matter_type",),
    "services": ("services",),
    "description": ("description",),
    "deadline": ("deadline",),
    "budget_cap": ("budget_cap",),
    "problem_code": ("problem_code",),
}


def read_case_file(path: Path) -> dict[str, Any]:
    """A mapping from YAML or JSON (JSON is YAML, but a .json file gets JSON's clearer errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read case file {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"case file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                         f"{exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"case file {path} must hold a mapping of fields (case_id, advocate, client, …)")
    return data


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        inner = doc.get(key)
        if not isinstance(inner, dict):
            inner = doc[key] = {}
        doc = inner
    doc[path[-1]] = value


def build_request(base: dict[str, Any], flags: dict[str, Any], opened_by: Actor) -> CaseRequest:
    """Merge flags over the file, parse the budget cap, validate (pydantic errors carry field paths)."""
    doc = json.loads(json.dumps(base, default=str))  # a deep copy; dates become ISO strings
    for name, value in flags.items():
        if value not in (None, [], ()):
            _put(doc, FLAG_PATHS[name], list(value) if isinstance(value, list | tuple) else value)
    cap = doc.get("budget_cap")
    if isinstance(cap, str | int) and not isinstance(cap, bool):
        currency = (doc.get("advocate") or {}).get("billing_currency") or "USD"
        doc["budget_cap"] = parse_money_with_currency(str(cap), currency).model_dump()
    elif isinstance(cap, float):
        raise InputError("budget_cap: write the amount as a string ('USD 500.00'), never a float")
    doc["opened_by"] = opened_by.model_dump(mode="json")
    return CaseRequest.model_validate(doc, extra="forbid")  # a typo in a case file is refused, not ignored
