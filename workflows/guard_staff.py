"""The workflow's check of signed staff updates (security review C2 §3): who really asked for this.

Temporal tells a workflow nothing about who sent an update, so a payload's ``actor: staff coord.ana`` is
only a claim. When the case's policy says ``require_staff_signatures`` — or the worker's guard does
(``CasefacGuard(require_signatures=True)``, always in live mode; checked in validators only, which never run
on replay, so cases and Advocate entities older than the requirement are covered without a replay risk) —
every update whose actor is staff or finance must carry an assertion (``casefac/staff_assertion.py``) that:

* names a key of the staff directory snapshot in the workflow's state, held by that very staff id in that
  very role, and not revoked;
* verifies (Ed25519), for this workflow id, this update name and this payload, at ``workflow.now()``;
* was not used before on this workflow (its nonce is recorded when the update is handled, never in the
  validator, in a bounded map that forgets a nonce once its assertion has expired).

Everything here is deterministic: the snapshot is state, verification is pure, the clock is
``workflow.now()``. The directory arrives through the ``staff.load_directory`` activity, at the start of a
run and on the ``refresh_staff_directory`` update the CLI sends when told the key is new to the case or
the snapshot is old (so a revocation reaches a running case within ``DIRECTORY_MAX_AGE``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from casefac.activity_io import TaskQueue
    from casefac.parties import Actor, Role
    from casefac.staff_assertion import AssertionRefused, Claims, load_public_key, peek, verify
    from casefac.staff_directory import (
        LOAD_STAFF_DIRECTORY,
        REFRESH_HINT,
        LoadStaffDirectory,
        StaffDirectory,
    )

#: ``workflow.patched`` id: the staff directory activity (at the start of a run, and on refresh).
STAFF_DIRECTORY_PATCH = "staff-directory"
#: Set on the workflow instance by the guard interceptor (``workflows/guard.py``).
GUARD_MARK = "_casefac_staff_guard"
#: Set beside it: whether this worker's deployment requires signed staff updates (``CasefacGuard``).
DEPLOYMENT_MARK = "_casefac_deployment_requires_signatures"
#: Roles whose updates must be signed.
SIGNING_ROLES = frozenset({Role.STAFF.value, Role.FINANCE.value})
#: A snapshot older than this is refreshed before a staff update is accepted: a revoked key stops
#: working on a running case at most this long after ``casefac staff revoke``.
DIRECTORY_MAX_AGE = timedelta(minutes=15)
#: Refreshes closer together than this are refused (each is an activity in the case's history).
REFRESH_MIN_INTERVAL = timedelta(seconds=5)
#: Used nonces kept at most (they are also dropped once their assertion expired).
MAX_USED = 1000

UNKNOWN_KEY = f"unknown staff key; {REFRESH_HINT}"
STALE_DIRECTORY = f"the staff directory of this case is out of date; {REFRESH_HINT}"

_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                     maximum_interval=timedelta(seconds=10))


# ---------------------------------------------------------------------------------- the policy
def required(instance: object) -> bool:
    """Whether this workflow's policy asks for signed staff updates (False for every older case)."""
    return bool(getattr(getattr(instance, "policy", None), "require_staff_signatures", False))


def deployment_requires(instance: object) -> bool:
    """Whether the guard of the worker running this instance requires signatures (not replay-stable: read it
    only in validators and in continue-as-new input)."""
    return bool(getattr(instance, DEPLOYMENT_MARK, False))


def carried_policy(instance: Any) -> Any:
    """The policy a run continues as new with: ``require_staff_signatures`` is never lowered, and a run on a
    worker whose deployment requires signatures hands the requirement on to the next run's policy (S1)."""
    policy = instance.policy
    if policy.require_staff_signatures or not deployment_requires(instance):
        return policy
    return policy.model_copy(update={"require_staff_signatures": True})


def require_guard(instance: object) -> None:
    """Fail closed: a workflow that needs signatures never runs on a worker without the guard.

    Called at the top of the workflow's ``run``. Raising a plain ``RuntimeError`` fails the workflow task
    (not the workflow), so the case waits, untouched, until a worker with the guard picks it up.
    """
    if required(instance) and not getattr(instance, GUARD_MARK, False):
        raise RuntimeError("this case requires signed staff updates but the worker has no staff guard "
                           "(register workflows.guard.CasefacGuard as a worker interceptor)")


# -------------------------------------------------------------------------------- the payload
def _field(payload: Any, name: str) -> Any:
    if isinstance(payload, BaseModel):
        return getattr(payload, name, None)
    if isinstance(payload, dict):
        return payload.get(name)
    return None


def signing_actor(payload: Any) -> Actor | None:
    """The payload's actor when it claims to be staff or finance; None for parties and actor-less updates.

    A malformed actor claiming a signing role is refused here rather than let through unchecked.
    """
    actor = _field(payload, "actor")
    if isinstance(actor, Actor):
        return actor if actor.role.value in SIGNING_ROLES else None
    role = actor.get("role") if isinstance(actor, dict) else None
    if role not in SIGNING_ROLES:
        return None
    try:
        return Actor.model_validate(actor)
    except ValidationError:
        raise ValueError("actor: malformed") from None


# ---------------------------------------------------------------------------------- the checks
def check(instance: Any, update: str, payload: Any, *, deployment: bool = False) -> Claims | None:
    """Refuse (``ValueError``) a staff update without a genuine, fresh, unused assertion. Read-only.

    Required when the instance's policy says so or ``deployment`` (the worker's guard requires signatures:
    pass it from validators only, which never run on replay). Returns the verified claims (None when the
    update needs none).
    """
    if not (required(instance) or deployment):
        return None
    actor = signing_actor(payload)
    if actor is None:
        return None
    token = _field(payload, "assertion")
    if not token:
        raise ValueError(f"actor: {actor.role.value} updates on this case must be signed by the CLI with the "
                         f"member's staff key (casefac staff add {actor.id})")
    state = instance.s
    now = workflow.now()
    try:
        kid = peek(token).kid
        directory: StaffDirectory | None = getattr(state, "staff_directory", None)
        key = directory.key(kid) if directory is not None else None
        if key is None:
            raise ValueError(UNKNOWN_KEY)
        if key.revoked_at is not None and key.revoked_at <= now:
            raise ValueError(f"assertion: staff key {kid[:12]}… of {key.staff_id} was revoked on "
                             f"{key.revoked_at:%Y-%m-%d %H:%M} UTC")
        if directory is not None and (directory.loaded_at is None or now - directory.loaded_at > DIRECTORY_MAX_AGE):
            raise ValueError(STALE_DIRECTORY)
        if key.staff_id != actor.id:
            raise ValueError(f"assertion: the key belongs to {key.staff_id}, not {actor.id}")
        if key.role != actor.role.value:
            raise ValueError(f"assertion: {key.staff_id}'s key is a {key.role} key; it cannot act as "
                             f"{actor.role.value}")
        # cryptography's Rust core imports ``cryptography.exceptions`` when a signature fails: in the test
        # sandbox that import must reach the real module (a sandboxed re-import aborts the process).
        with workflow.unsafe.imports_passed_through():
            claims = verify(token, load_public_key(key.public_key), workflow_id=workflow.info().workflow_id,
                            update=update, payload=payload, now=now)
    except AssertionRefused as exc:
        raise ValueError(str(exc)) from None
    if claims.sub != actor.id or claims.role != actor.role.value:
        raise ValueError("assertion: made for another actor")
    if claims.nonce in getattr(state, "used_assertions", {}):
        raise ValueError("assertion: already used (a replayed update); run the command again")
    return claims


def claims_of(instance: Any, payload: Any) -> Claims | None:
    """The claims of an update the validator already accepted (None when it carries no assertion).

    Runs in the handler, so on replay too: it reads the payload only, never whether signatures were required
    (that depends on the worker's guard), so the nonce bookkeeping replays the same on any worker.
    """
    try:
        actor = signing_actor(payload)
    except ValueError:
        return None
    token = _field(payload, "assertion") if actor is not None else None
    if not token or not isinstance(token, str):
        return None
    try:
        return peek(token)
    except (AssertionRefused, ValueError):
        return None


def record(instance: Any, claims: Claims) -> None:
    """Spend the assertion's nonce (in the update handler): the same assertion is refused from now on."""
    used: dict[str, datetime] = instance.s.used_assertions
    now = workflow.now()
    for nonce in [n for n, exp in used.items() if exp <= now]:
        del used[nonce]  # expired assertions are refused by their expiry anyway
    used[claims.nonce] = claims.expires_at
    while len(used) > MAX_USED:
        del used[next(iter(used))]


# ------------------------------------------------------------------------------- the directory
async def load(instance: Any) -> bool:
    """Run the directory activity and keep its snapshot; False (snapshot unchanged) when it failed."""
    try:
        directory: StaffDirectory = await workflow.execute_activity(
            LOAD_STAFF_DIRECTORY, LoadStaffDirectory(), result_type=StaffDirectory, task_queue=TaskQueue.MAIN,
            start_to_close_timeout=timedelta(seconds=30), schedule_to_close_timeout=timedelta(minutes=2),
            retry_policy=_RETRY, summary="Staff directory")
    except ActivityError:
        workflow.logger.warning("staff directory could not be loaded",
                                extra={"workflow_id": workflow.info().workflow_id})
        return False
    instance.s.staff_directory = directory.model_copy(update={"loaded_at": workflow.now()})
    return True


async def load_at_start(instance: Any) -> None:
    """A run that needs signatures starts with a fresh snapshot (new runs only: under the patch)."""
    if required(instance) and workflow.patched(STAFF_DIRECTORY_PATCH):
        await load(instance)


class Refresher:
    """The ``refresh_staff_directory`` update, registered on each guarded workflow by the interceptor."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.busy = False

    def validate(self, _payload: Any = None) -> None:
        # Whatever the policy says: a case or entity older than the requirement must be able to load the
        # directory when its worker's guard requires signatures (a new update: no old history contains it).
        if self.busy:
            raise ValueError("the staff directory is being refreshed")
        directory = getattr(self.instance.s, "staff_directory", None)
        if (directory is not None and directory.loaded_at is not None
                and workflow.now() - directory.loaded_at < REFRESH_MIN_INTERVAL):
            raise ValueError("the staff directory was refreshed moments ago")

    async def handle(self, _payload: Any = None) -> dict[str, int]:
        self.busy = True
        try:
            loaded = workflow.patched(STAFF_DIRECTORY_PATCH) and await load(self.instance)
        finally:
            self.busy = False
        directory = getattr(self.instance.s, "staff_directory", None)
        return {"loaded": int(bool(loaded)), "keys": len(directory.keys) if directory is not None else 0}
