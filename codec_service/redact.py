"""Finance's need-to-know view (review m11): decoded payloads with client data and free text removed.

A JSON transform by the field names of the casefac models, written as an **allow-list**: a string value
survives only under a key that names an id, a code, a status, a currency or a date, or when it is an ISO
date itself, so a field added later is hidden until someone decides finance may see it. Numbers
(amounts, hours, counts) and booleans always survive: they are the money trail. Whole blocks that are
personal data (the ``client``, party contact details) are replaced at once.

Top-level strings are kept: they are the activity summaries and Current Details, which the workflow
composes from ids, codes and amounts for finance's eyes (``starters/cases.py``, ``casefac/case_details.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from temporalio.api.common.v1 import Payload

REDACTED = "[redacted]"

#: Blocks that are personal data as a whole.
BLOCKS = frozenset({"client", "advocate_contact", "contact"})
#: Always hidden, whatever their shape (a birth date looks like any date).
ALWAYS = frozenset({"date_of_birth", "full_name", "last_known_location", "contact_notes", "email", "phone",
                    "name", "organization", "region", "description", "note", "notes", "reason", "scope",
                    "special_terms", "comments", "message", "stack_trace", "over_cap", "over_cap_reason",
                    "override", "resolution", "needs_decision", "to_confirm", "zone"})
#: String fields finance needs: ids, codes, statuses, currencies, stages.
KEEP = frozenset({"id", "case_id", "invoice_id", "payout_id", "transfer_id", "envelope_id", "defender_id",
                  "advocate_id", "account_id", "party_id", "task_id", "report_id", "event_id", "number",
                  "reference", "currency", "status", "stage", "kind", "type", "event", "action", "role",
                  "country", "matter_type", "services", "step", "error_type", "problem_code", "task_code",
                  "activity_code", "expense_code", "method", "approved_by", "payout_approved_by", "actor",
                  "hosted_invoice_url", "rate_source", "decision", "outcome", "result", "code", "key_generation",
                  "amount", "total", "invoice_number", "idempotency_key", "workflow_id", "language"})
_KEEP_SUFFIXES = ("_id", "_ids", "_status", "_currency", "_code", "_stage", "_kind", "_amount", "_total",
                  "_number")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
                       r"|^P(\d+[YMWD])*(T(\d+(\.\d+)?[HMS])+)?$")  # ISO dates and durations (policy timers)


#: ``event`` is a code in provider events (``bounce``, ``invoice.paid``) but a sentence on the case's timeline,
#: and a sentence can quote what someone typed (a decline reason, an override): only codes stay.
_CODE = re.compile(r"^[a-z0-9_.:-]{1,40}$")


def _keep_string(key: str, value: str) -> bool:
    if key == "event":
        return bool(_CODE.match(value))
    return key in KEEP or key.endswith(_KEEP_SUFFIXES) or bool(_ISO_DATE.match(value))


def redact(value: Any, key: str | None = None) -> Any:
    """``value`` with everything finance does not need replaced by ``[redacted]``."""
    if key is not None and (key in BLOCKS or key in ALWAYS):
        return None if value is None else REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item, key) for item in value]
    if isinstance(value, str):
        return value if key is None or _keep_string(key, value) else REDACTED
    return value


def redact_payload(payload: Payload) -> Payload:
    """A decoded payload for finance: JSON is redacted field by field, anything else is withheld."""
    encoding = payload.metadata.get("encoding", b"")
    if encoding == b"binary/null":
        return payload
    if encoding != b"json/plain":
        return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(REDACTED).encode())
    try:
        data = json.loads(payload.data)
    except ValueError:
        return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(REDACTED).encode())
    redacted = json.dumps(redact(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Payload(metadata=dict(payload.metadata), data=redacted)


__all__ = ["REDACTED", "redact", "redact_payload"]
