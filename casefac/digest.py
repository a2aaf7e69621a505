"""The digests: a daily email to staff and a weekly one to finance with what needs them (``casefac.worklist``),
sent by ``DigestWorkflow`` on a Temporal Schedule (``starters/schedules.py``).

Inputs and the template context live here, pure, so the workflow, the activity, the CLI and the tests agree.
Idempotent by construction: every message's key is (audience, period, recipient number), so a schedule that
fires twice in a period, a retried workflow or a re-applied schedule sends each reader one digest per period;
an empty worklist sends nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from casefac.activity_io import MailKind, TemplateValue
from casefac.parties import Language
from casefac.worklist import Audience, Worklist

GATHER_ACTIVITY = "digest.gather"
WORKFLOW = "DigestWorkflow"
KINDS: MappingProxyType[Audience, MailKind] = MappingProxyType({"staff": MailKind.STAFF_DIGEST,
                                                               "finance": MailKind.FINANCE_DIGEST})

#: Entries shown per section (oldest first); the section keeps its true count and says how many more there are,
#: with the command that lists them all (``casefac today`` / ``casefac money``).
SECTION_CAP = 25
#: Unanswered case ids named in the digest (the rest counted), and the length any one text is clipped to.
UNANSWERED_CAP = 25
FIELD_CAP = 300
#: The most the template context may weigh, in bytes of JSON (measured ASCII-escaped, which is never smaller
#: than the UTF-8 JSON the data converter writes). Entries past it are dropped from the fullest section and
#: counted in its "more", so the bound holds whatever the items say.
CONTEXT_BUDGET = 64 * 1024
MAX_READERS = 10
#: Everything in one ``SendMail`` but its context, at most: key (<= 200), kind, the reader's role, party id,
#: address (<= 254) and name (<= 200 characters, 6 bytes each if all were escaped), language, empty lists.
MESSAGE_OVERHEAD = 4 * 1024
#: What the digest's ``MailBatch`` input can weigh (Temporal refuses payloads over 2 MB): each reader's message
#: carries the same capped context, since ``MailBatch`` has no shared one.
BATCH_BOUND = MAX_READERS * (CONTEXT_BUDGET + MESSAGE_OVERHEAD)

_frozen = ConfigDict(frozen=True, extra="ignore")


class DigestRecipient(BaseModel):
    """One reader: a person's (or a shared) address and the language they read (es or en)."""

    model_config = _frozen
    email: EmailStr
    language: Language = "en"
    name: Annotated[str, Field(max_length=200)] = ""


class DigestInput(BaseModel):
    model_config = _frozen
    audience: Audience
    recipients: Annotated[list[DigestRecipient], Field(min_length=1, max_length=MAX_READERS)]


class GatherDigest(BaseModel):
    model_config = _frozen
    audience: Audience
    at: datetime


class Digest(BaseModel):
    """What the gather activity returns: the counts and the capped template context, not the worklist (whose
    size grows with the cases; the full list is always in ``casefac today`` / ``casefac money``)."""

    model_config = _frozen
    audience: Audience
    #: Items in the worklist (all of them, not only those shown).
    items: int
    cases: int = 0
    unanswered: list[str] = []
    context: dict[str, TemplateValue]

    @property
    def empty(self) -> bool:
        return not self.items


class DigestResult(BaseModel):
    model_config = _frozen
    audience: Audience
    period: str
    items: int
    sent: int
    #: Running cases that did not answer the status query (named in the digest too).
    unanswered: list[str] = []


def period(audience: Audience, at: datetime) -> str:
    """``2026-12-01`` for the daily staff digest, ``2026-W49`` for the weekly finance one."""
    if audience == "staff":
        return at.date().isoformat()
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def idempotency_key(audience: Audience, at: datetime, n: int) -> str:
    """No address in it: the key travels to SendGrid's custom args and the mail ledger."""
    return f"digest:{audience}:{period(audience, at)}:{n}"


def _clip(value: Any) -> Any:
    return value[:FIELD_CAP - 1] + "…" if isinstance(value, str) and len(value) > FIELD_CAP else value


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def context(worklist: Worklist, cap: int = SECTION_CAP) -> dict[str, Any]:
    """The template's context (``staff_digest.jinja`` / ``finance_digest.jinja``): JSON values only, bounded.

    ``sections``: list of {kind, count, entries, more}: ``count`` is the section's true size, ``entries`` its
    oldest ``cap`` items, ``more`` the rest (``count - len(entries)``); each item: kind, case_id, since
    (YYYY-MM-DD), days, what, party, detail, amount, bucket, escalated, command, each text clipped to
    ``FIELD_CAP``. ``total``, ``cases``, ``unanswered`` (the first ``UNANSWERED_CAP`` ids), ``unanswered_more``,
    ``date``. The whole weighs at most ``CONTEXT_BUDGET`` bytes of JSON.
    """
    sections = [{"kind": items[0].kind, "count": len(items),
                 "entries": [{**{k: _clip(v) for k, v in i.model_dump(mode="json", exclude={"since"}).items()},
                              "since": f"{i.since:%Y-%m-%d}"} for i in items[:cap]]}
                for _, items in worklist.sections()]
    ids = [u[:64] for u in worklist.unanswered[:UNANSWERED_CAP]]
    ctx: dict[str, Any] = {"sections": sections, "total": len(worklist.items), "cases": worklist.cases,
                           "unanswered": ", ".join(ids), "unanswered_more": len(worklist.unanswered) - len(ids),
                           "date": f"{worklist.at:%Y-%m-%d}"}
    for s in sections:
        s["more"] = s["count"]  # as wide as it can get, while measuring
    size = _size(ctx)
    while size > CONTEXT_BUDGET:  # long texts everywhere: fewer entries, from the fullest section
        fullest = max(sections, key=lambda s: len(s["entries"]))
        size -= _size(fullest["entries"].pop())  # its comma still counted: never below the true size
        if size <= CONTEXT_BUDGET:
            size = _size(ctx)
    for s in sections:
        s["more"] = s["count"] - len(s["entries"])
    assert _size(ctx) <= CONTEXT_BUDGET, "the digest's fixed part alone exceeds its budget"
    return ctx


def digest_of(worklist: Worklist) -> Digest:
    return Digest(audience=worklist.audience, items=len(worklist.items), cases=worklist.cases,
                  unanswered=worklist.unanswered, context=context(worklist))
