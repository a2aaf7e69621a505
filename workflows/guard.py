"""The worker interceptor that guards every update of the case and Advocate workflows.

One place, so an update added later (resend, money, amendments…) is guarded without knowing its name:

* in the **validator** (nothing enters history when it refuses): the signed staff assertion
  (``workflows/guard_staff.py``) and the portal link rules (``workflows/guard_links.py``);
* in the **handler**: the same checks only for an update that has no validator (the handler is then the
  only gate); then the handler, then the bookkeeping: the assertion's nonce and the link's use are recorded
  only once the update was accepted.

It also marks the instance as guarded (``require_guard`` in the workflows fails closed without it),
loads the staff directory at the start of a run and registers the ``refresh_staff_directory`` update.
Register it wherever a worker runs these workflows: ``Worker(..., interceptors=[CasefacGuard(require_signatures=
settings.staff_signatures_required)])`` (``workers/main.py``): with the deployment's requirement, the validators
refuse unsigned staff updates on every case and entity, also those whose policy predates signatures.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from casefac.messages import LinkUse
from casefac.parties import Actor
from casefac.staff_directory import REFRESH_STAFF_DIRECTORY
from workflows import guard_links, guard_staff

#: The workflow types this guard covers (their instances keep ``s`` state and a ``policy``).
GUARDED = frozenset({"CaseFacilitationWorkflow", "AdvocateWorkflow"})
#: The error type of an update the handler-side check refuses.
REFUSED = "UpdateRefused"


class _Header(BaseModel):
    """The parts of any update payload the guards read, as attributes (``guard_links`` reads them so)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    actor: Actor | None = None
    link: LinkUse | None = None
    assertion: str | None = None


def _header(payload: Any) -> Any:
    if isinstance(payload, BaseModel):
        return payload
    try:
        return _Header.model_validate(payload if isinstance(payload, dict) else {})
    except ValidationError:
        return _Header()  # malformed: the update's own validator names the field


def _payload(input: HandleUpdateInput) -> Any:
    return input.args[0] if input.args else None


def _guarded() -> Any:
    """The running instance when its type is guarded, else None (read-only: validators call it too)."""
    if workflow.info().workflow_type not in GUARDED:
        return None
    return workflow.instance()


def _check(instance: Any, input: HandleUpdateInput, *, deployment: bool) -> Any:
    payload = _payload(input)
    claims = guard_staff.check(instance, input.update, payload, deployment=deployment)
    guard_links.check_update(instance, input.update, _header(payload))
    return claims


def _has_validator(instance: Any, update: str) -> bool:
    """Whether the workflow class defines a validator for ``update`` (then the guard's validator ran)."""
    defn = workflow._Definition.from_class(type(instance))  # the SDK has no public accessor for this
    found = defn.updates.get(update) if defn is not None else None
    return found is not None and found.validator is not None


class _GuardInbound(WorkflowInboundInterceptor):
    #: The deployment's requirement (``CasefacGuard(require_signatures=...)``); set on a subclass per guard.
    require_signatures: bool = False

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        instance = _guarded()
        if instance is not None:
            setattr(instance, guard_staff.GUARD_MARK, True)
            # Read by the validators and by continue-as-new (which carries it into the next run's policy);
            # never by a handler, so a history replays the same on a worker configured otherwise.
            setattr(instance, guard_staff.DEPLOYMENT_MARK, self.require_signatures)
            refresher = guard_staff.Refresher(instance)
            workflow.set_update_handler(REFRESH_STAFF_DIRECTORY, refresher.handle, validator=refresher.validate)
            await guard_staff.load_at_start(instance)
        return await super().execute_workflow(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        instance = _guarded()
        if instance is not None and input.update != REFRESH_STAFF_DIRECTORY:
            _check(instance, input, deployment=self.require_signatures)
        super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        instance = _guarded()
        if instance is None or input.update == REFRESH_STAFF_DIRECTORY:
            return await super().handle_update_handler(input)
        if _has_validator(instance, input.update):
            # The validator decided (it never runs on replay, so changing a check's limits later cannot make an
            # accepted update refused on replay); here only the verified claims are needed, to spend the nonce.
            claims = guard_staff.claims_of(instance, _payload(input))
        else:
            # No validator: this check runs on replay too, so it may read only what the history determines —
            # the run's policy, never this worker's setting (an update accepted by a worker that did not
            # require signatures would be refused on replay by one that does: a nondeterminism). Every update
            # of the guarded workflows has a validator (tests/workflow/test_guard_staff.py checks), so this
            # path is a fallback; a run whose policy is older learns the deployment's requirement when it
            # continues as new (``guard_staff.carried_policy``).
            try:
                claims = _check(instance, input, deployment=False) or guard_staff.claims_of(instance, _payload(input))
            except ValueError as exc:  # a failure, not a task failure: the update is refused, the case goes on
                raise ApplicationError(str(exc), type=REFUSED, non_retryable=True) from None
        if claims is not None:
            guard_staff.record(instance, claims)
        result = await super().handle_update_handler(input)
        guard_links.after_update(instance, input.update, _header(_payload(input)))
        return result


class CasefacGuard(Interceptor):
    """``interceptors=[CasefacGuard(require_signatures=...)]`` on every worker that runs the case or Advocate
    workflows.

    ``require_signatures`` is the deployment's requirement (``settings.staff_signatures_required``, always
    True in live mode): staff updates are then refused unsigned whatever an older case's or entity's policy
    says (in the validators, which never run on replay), and it is carried into the policy of every run that
    continues as new.
    """

    def __init__(self, require_signatures: bool = False) -> None:
        super().__init__()
        self.require_signatures = require_signatures
        self._inbound: type[_GuardInbound] = type(
            "_GuardInbound", (_GuardInbound,), {"require_signatures": require_signatures})

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return self._inbound
