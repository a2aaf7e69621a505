"""Sending one update for a visit, and turning the workflow's refusal into a field error.

The workflow's validator is the last word: its ``ValueError("field: rule")`` reaches us as
``WorkflowUpdateFailedError`` whose cause carries the message. We split it into the field (so the page can
show it beside the input with the same name) and the rule (translated when we know the wording).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from casefac.messages import LinkUse, Receipt
from gateway.portal.access import Refused, Visit, unavailable
from gateway.portal.catalog import translate
from gateway.portal.rules_text import localize_rule

log = logging.getLogger(__name__)

#: An update waits for a worker to validate it; past this the person is told to try again later.
UPDATE_TIMEOUT_SECONDS = 20.0

_FIELD = re.compile(r"^(?P<field>[A-Za-z_][A-Za-z0-9_.\[\]]*): (?P<rule>.+)$", re.DOTALL)


@dataclass(frozen=True)
class Rejected:
    """The workflow refused the update: ``field`` (``""`` when the message names none) and the message."""

    field: str
    message: str


async def send_update(visit: Visit, name: str, payload: BaseModel) -> Receipt | Rejected:
    """Execute ``name`` with ``payload``; a refusal becomes :class:`Rejected`, an outage a 503 page."""
    # The link it came through: the workflow refuses a spent one-shot link or a revoked one (guard_links).
    payload = payload.model_copy(update={"link": LinkUse(nonce=visit.link.nonce, epoch=visit.link.epoch)})
    try:
        async with asyncio.timeout(UPDATE_TIMEOUT_SECONDS):
            receipt = await visit.handle.execute_update(name, payload, result_type=Receipt)
    except WorkflowUpdateFailedError as exc:
        message = getattr(exc.cause, "message", None) or str(exc.cause or exc)
        log.info("portal: %s refused on %s: %s", name, visit.action.case_id, message.split(":")[0])
        return rejection(message, visit.lang)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        log.warning("portal: %s on %s not delivered (%s)", name, visit.action.case_id, type(exc).__name__)
        raise Refused(unavailable(visit.gw, visit.lang)) from None
    log.info("portal: %s accepted on %s", name, visit.action.case_id)
    return receipt


def rejection(message: str, lang: str) -> Rejected:
    """``"hours[0].date: must be …"`` → ``Rejected("hours[0].date", <localized rule>)``."""
    match = _FIELD.match(message.strip())
    if match is None:
        return Rejected("", localize_rule(message.strip(), lang))
    return Rejected(match["field"], localize_rule(match["rule"], lang))


def loc_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the workflow names fields: ``('hours', 0, 'date')`` → ``hours[0].date``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


#: pydantic error types a person can cause by leaving a field empty: said in their language.
_REQUIRED = {"missing", "string_too_short", "too_short"}


def validation_errors(exc: ValidationError, prefix: str = "", lang: str | None = None) -> dict[str, str]:
    """pydantic's errors keyed by field path; the form layer checks first, so these are a safety net.

    With ``lang``, an emptied required field reads "This is required." in that language.
    """
    errors: dict[str, str] = {}
    for err in exc.errors():
        path = loc_path(tuple(err["loc"]))
        key = f"{prefix}.{path}" if prefix and path else (prefix or path)
        if lang and err["type"] in _REQUIRED:
            errors.setdefault(key, translate(lang, "error.required"))
        else:
            errors.setdefault(key, str(err["msg"]).removeprefix("Value error, "))
    return errors
