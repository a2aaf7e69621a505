"""The digests: a daily email to staff and a weekly one to finance with what needs them (``casefac.worklist``),
sent by ``DigestWorkflow`` on a Temporal Schedule (``starters/schedules.py``).

Inputs and the template context live here, pure, so the workflow, the activity, the CLI and the tests agree.
Idempotent by construction: every message's key is (audience, period, recipient number), so a schedule that
fires twice in a period, a retried workflow or a re-applied schedule sends each reader one digest per period;
an empty worklist sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from casefac.activity_io import MailKind
from casefac.parties import Language
from casefac.worklist import Audience, Worklist

GATHER_ACTIVITY = "digest.gather"
WORKFLOW = "DigestWorkflow"
KINDS: dict[Audience, MailKind] = {"staff": MailKind.STAFF_DIGEST, "finance": MailKind.FINANCE_DIGEST}

_frozen = ConfigDict(frozen=True, extra="forbid")


class DigestRecipient(BaseModel):
    """One reader: a person's (or a shared) address and the language they read (es or en)."""

    model_config = _frozen
    email: EmailStr
    language: Language = "en"
    name: Annotated[str, Field(max_length=200)] = ""


class DigestInput(BaseModel):
    model_config = _frozen
    audience: Audience
    recipients: Annotated[list[DigestRecipient], Field(min_length=1, max_length=10)]


class GatherDigest(BaseModel):
    model_config = _frozen
    audience: Audience
    at: datetime


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


def context(worklist: Worklist) -> dict[str, Any]:
    """The template's context (``staff_digest.jinja`` / ``finance_digest.jinja``): JSON values only.

    ``sections``: list of {kind, count, entries}; each item: kind, case_id, since (YYYY-MM-DD), days, what,
    party, detail, amount, bucket, escalated, command. ``total``, ``cases``, ``unanswered``, ``date``.
    """
    sections = [{"kind": items[0].kind, "count": len(items),
                 "entries": [{**i.model_dump(mode="json", exclude={"since"}), "since": f"{i.since:%Y-%m-%d}"}
                           for i in items]}
                for _, items in worklist.sections()]
    return {"sections": sections, "total": len(worklist.items), "cases": worklist.cases,
            "unanswered": ", ".join(worklist.unanswered), "date": f"{worklist.at:%Y-%m-%d}"}
