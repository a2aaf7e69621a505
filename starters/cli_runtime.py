"""How every ``casefac`` command runs: settings, the Temporal connection, and failures as one clear line.

Exit codes: 0 done; 1 the case or the system said no (update rejected, case unknown, Temporal
unreachable, nothing to act on); 2 the input was malformed (usage, validation) — so scripts can tell
"fix what you typed" from "look at the case".
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from casefac.keyring import KeyRingError
from casefac.parties import Actor, Role, StaffId
from casefac.settings import Settings
from casefac.temporal_client import connect_client
from starters.parsing import InputError
from starters.staff_actions import NothingToDo
from starters.staff_signing import KeyFileError

T = TypeVar("T")

#: Soft wrap: long lines (URLs, ids) stay whole for copying and for scripts reading the output.
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_STAFF_ID: TypeAdapter[str] = TypeAdapter(StaffId)
#: How a query or update that no worker picks up ends (the call's deadline passes): the connection itself
#: worked, since connecting is what fails when Temporal is unreachable.
_TIMED_OUT = {RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED}
NO_WORKER = "the case did not answer in time: is a worker running? (`casefac up`, or `casefac worker`)"


class Unreachable(RuntimeError):
    pass


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def load_settings(kind: type[Settings] = Settings) -> Settings:
    """``kind`` from the environment; the gateway passes ``EdgeSettings`` (no provider API keys, review M7)."""
    try:
        return kind()
    except ValidationError as exc:
        validation_failed("settings (CASEFAC_* environment or .env)", exc)


def validation_failed(what: str, exc: ValidationError) -> NoReturn:
    """Every pydantic error with its field path, then exit 2."""
    err.print(f"[red]error:[/] {escape(what)} is invalid ({exc.error_count()} problem"
              f"{'s' if exc.error_count() != 1 else ''}):")
    for e in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in e["loc"]) or "(input)"
        err.print(f"  {escape(loc)}: {escape(e['msg'])}")
    raise typer.Exit(2)


def actor(staff_id: str | None, role: Role = Role.STAFF) -> Actor:
    """Who is acting: ``--as`` or ``CASEFAC_STAFF_ID``; ids like ``coord.ana`` (no names, they go in history)."""
    if not staff_id:
        fail("who is acting? pass --as <staff id> (e.g. --as coord.ana) or set CASEFAC_STAFF_ID", 2)
    try:
        _STAFF_ID.validate_python(staff_id)
    except ValidationError:
        fail(f"staff id {staff_id!r}: lowercase letters, digits, '.', '_' or '-', e.g. coord.ana", 2)
    return Actor(role=role, id=staff_id)


async def connect(settings: Settings) -> Client:
    try:
        return await connect_client(settings, identity="casefac-cli")
    except RuntimeError as exc:
        if "connect" in str(exc).lower():
            raise Unreachable(str(exc)) from exc
        raise


def unreachable_message(settings: Settings) -> str:
    t = settings.temporal
    return (f"cannot reach Temporal at {t.address} (namespace {t.namespace}): start the local stack with "
            "`casefac up`, or point CASEFAC_TEMPORAL__ADDRESS at your cluster")


def _update_failure(exc: WorkflowUpdateFailedError) -> str:
    cause = exc.cause
    message = getattr(cause, "message", None) or str(cause or exc)
    return f"rejected: {message}"


def explain(exc: BaseException, settings: Settings) -> tuple[str, int] | None:
    """The one line (and exit code) for a failure a person can act on; None for real bugs."""
    match exc:
        case Unreachable():
            return unreachable_message(settings), 1
        case WorkflowUpdateFailedError():
            return _update_failure(exc), 1
        case RPCTimeoutOrCancelledError():
            return NO_WORKER, 1
        case WorkflowQueryFailedError() | WorkflowQueryRejectedError():
            return f"the case could not answer: {exc}", 1
        case WorkflowAlreadyStartedError():
            return f"{exc.workflow_id} already exists: a case id is never reused; choose another", 1
        case RPCError() if exc.status == RPCStatusCode.NOT_FOUND and "already completed" in exc.message:
            return "the case is finished: nothing can change it now (`casefac status` shows how it ended)", 1
        case RPCError() if exc.status == RPCStatusCode.NOT_FOUND:
            return f"no such case ({exc.message})", 1
        case RPCError() if exc.status in _TIMED_OUT:  # connected, then nobody answered in time
            return NO_WORKER, 1
        case RPCError() if exc.status == RPCStatusCode.UNAVAILABLE:
            return unreachable_message(settings), 1
        case RPCError():
            return f"Temporal said: {exc.message}", 1
        case KeyRingError() | NothingToDo() | KeyFileError():
            return str(exc), 1
        case InputError():
            return str(exc), 2
    return None


def run(settings: Settings, coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; known failures become one line and an exit code, no traceback."""
    try:
        return asyncio.run(coro)
    except ValidationError as exc:
        validation_failed("input", exc)
    except Exception as exc:
        explained = explain(exc, settings)
        if explained is None:
            raise
        fail(*explained)
