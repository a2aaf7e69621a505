"""Attacks on staff updates (security review C2 §3), each against a case whose policy requires signatures.

Anyone with namespace access can send ``execute_update("cancel_case", {actor: {role: staff, id:
coord.ana}, ...})``. With the guard (``workflows/guard.py``), only an update signed with coord.ana's
registered, unrevoked staff key, for this case, this update and this payload, fresh and unused, is
accepted. The directory comes from a fake ``staff.load_directory`` activity the tests control.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer, Worker

from activities.agreement import AgreementActivities
from casefac.activity_io import TaskQueue
from casefac.case import CaseStage
from casefac.converter import data_converter
from casefac.ids import advocate_workflow_id
from casefac.messages import CancelCase, Receipt, ResendAgreement, ReviewCase, Update
from casefac.parties import Actor, Role
from casefac.policy import CasePolicy
from casefac.staff_assertion import fingerprint, public_key_b64, public_key_bytes, sign, update_id
from casefac.staff_directory import (
    LOAD_STAFF_DIRECTORY,
    REFRESH_STAFF_DIRECTORY,
    LoadStaffDirectory,
    StaffDirectory,
    StaffKey,
)
from tests.conftest import eventually
from tests.workflow.harness import Case, Harness, history_events
from tests.workflow.world import time_skipping_harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard

ANA = Actor(role=Role.STAFF, id="coord.ana")
SIGNED = CasePolicy(require_staff_signatures=True)


@dataclass
class Directory:
    """The staff directory the fake activity serves (the records database in production)."""

    keys: list[StaffKey] = field(default_factory=list)
    private: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    loads: int = 0

    def add(self, staff_id: str, role: str = "staff") -> Ed25519PrivateKey:
        key = Ed25519PrivateKey.generate()
        public = key.public_key()
        self.keys.append(StaffKey(staff_id=staff_id, role=role, key_id=fingerprint(public_key_bytes(public)),
                                  public_key=public_key_b64(public), added_at=datetime.now(UTC)))
        self.private[staff_id] = key
        return key

    def revoke(self, staff_id: str) -> None:
        now = datetime.now(UTC)
        self.keys = [k.model_copy(update={"revoked_at": now}) if k.staff_id == staff_id else k for k in self.keys]

    @activity.defn(name=LOAD_STAFF_DIRECTORY)
    async def load(self, _request: LoadStaffDirectory) -> StaffDirectory:
        self.loads += 1
        return StaffDirectory(keys=list(self.keys))


@asynccontextmanager
async def guarded(*, interceptors: bool = True, entity_policy: CasePolicy | None = None, deployment: bool = False
                  ) -> AsyncIterator[tuple[Harness, Directory]]:
    """The time-skipping harness with cases that require signed staff updates, and the directory it serves."""
    directory = Directory()
    directory.add("coord.ana")
    directory.add("fin.luis", "finance")
    async with time_skipping_harness(workflows_worker=False) as h:
        h.policy = SIGNED
        agreement = AgreementActivities(entity_policy or CasePolicy())
        async with Worker(h.client, task_queue=TaskQueue.MAIN, workflows=[CaseFacilitationWorkflow, AdvocateWorkflow],
                          activities=[*h.fakes.by_queue()[TaskQueue.MAIN], agreement.request_agreement,
                                      agreement.confirm_agreement, directory.load],
                          activity_executor=ThreadPoolExecutor(4), workflow_runner=workflow_runner(strict=True),
                          interceptors=[CasefacGuard(require_signatures=deployment)] if interceptors else []):
            yield h, directory


def signed(msg: BaseModel, workflow_id: str, update: str, key: Ed25519PrivateKey, *, staff_id: str = "coord.ana",
           role: str = "staff", now: datetime | None = None) -> Any:
    token = sign(key, staff_id=staff_id, role=role, workflow_id=workflow_id, update=update,
                 payload=msg.model_dump(mode="json"), now=now or datetime.now(UTC))
    return msg.model_copy(update={"assertion": token})


async def refused(case: Case, name: str, msg: Any, *, update_id: str | None = None) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await case.handle.execute_update(name, msg, id=update_id, result_type=Receipt)
    cause = info.value.cause
    return getattr(cause, "message", None) or str(cause)


async def waiting_for_review(h: Harness) -> Case:
    case = await h.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    return case


def accept(defender_id: str = "DEF-GT-001", actor: Actor = ANA) -> ReviewCase:
    return ReviewCase(actor=actor, decision="accept", defender_id=defender_id)


# --------------------------------------------------------------------------------------- attacks
async def test_impersonated_staff_without_a_signature_is_refused() -> None:
    async with guarded() as (h, _d):
        case = await waiting_for_review(h)
        message = await refused(case, Update.CANCEL_CASE, CancelCase(actor=ANA, reason="forged cancel"))
        assert "must be signed" in message
        assert "must be signed" in await refused(case, Update.REVIEW_CASE, accept())
        assert (await case.status()).stage is CaseStage.REVIEW


async def test_a_forged_signature_is_refused() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        forged = signed(CancelCase(actor=ANA, reason="forged cancel"), case.handle.id, Update.CANCEL_CASE,
                        Ed25519PrivateKey.generate())
        assert "unknown staff key" in await refused(case, Update.CANCEL_CASE, forged)
        # The attacker's token names Ana's key id but is signed with another key.
        genuine = signed(CancelCase(actor=ANA, reason="forged cancel"), case.handle.id, Update.CANCEL_CASE,
                         d.private["coord.ana"])
        other = signed(CancelCase(actor=ANA, reason="forged cancel"), case.handle.id, Update.CANCEL_CASE,
                       Ed25519PrivateKey.generate())
        body = genuine.assertion.split(".")[1]
        spliced = other.model_copy(update={"assertion": f"csa1.{body}.{other.assertion.split('.')[2]}"})
        assert "signature does not verify" in await refused(case, Update.CANCEL_CASE, spliced)
        assert (await case.status()).stage is CaseStage.REVIEW


async def test_an_assertion_for_case_a_is_refused_on_case_b() -> None:
    async with guarded() as (h, d):
        a, b = await waiting_for_review(h), await waiting_for_review(h)
        for_a = signed(CancelCase(actor=ANA, reason="The client withdrew"), a.handle.id, Update.CANCEL_CASE,
                       d.private["coord.ana"])
        assert "another case" in await refused(b, Update.CANCEL_CASE, for_a)
        assert "another action" in await refused(a, Update.REVIEW_CASE, for_a)


async def test_a_reused_assertion_is_refused() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        msg = signed(accept(), case.handle.id, Update.REVIEW_CASE, d.private["coord.ana"])
        assert (await case.handle.execute_update(Update.REVIEW_CASE, msg, result_type=Receipt)).message
        assert "already used" in await refused(case, Update.REVIEW_CASE, msg, update_id="attacker-chosen-id")


async def test_an_altered_payload_is_refused() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        msg = signed(accept("DEF-GT-001"), case.handle.id, Update.REVIEW_CASE, d.private["coord.ana"])
        assert "payload was changed" in await refused(case, Update.REVIEW_CASE,
                                                      msg.model_copy(update={"defender_id": "DEF-GT-002"}))


async def test_a_revoked_key_is_refused() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        d.revoke("coord.ana")
        await asyncio.sleep(5.1)  # the refresh rate limit (REFRESH_MIN_INTERVAL) since the start-of-run load
        await case.handle.execute_update(REFRESH_STAFF_DIRECTORY, None)
        msg = signed(CancelCase(actor=ANA, reason="The client withdrew"), case.handle.id, Update.CANCEL_CASE,
                     d.private["coord.ana"])
        assert "was revoked" in await refused(case, Update.CANCEL_CASE, msg)


async def test_an_expired_assertion_is_refused() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        msg = signed(CancelCase(actor=ANA, reason="The client withdrew"), case.handle.id, Update.CANCEL_CASE,
                     d.private["coord.ana"], now=datetime.now(UTC) - timedelta(minutes=10))
        assert "expired" in await refused(case, Update.CANCEL_CASE, msg)


async def test_a_finance_key_cannot_act_as_staff() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        as_staff = Actor(role=Role.STAFF, id="fin.luis")
        msg = signed(CancelCase(actor=as_staff, reason="The client withdrew"), case.handle.id, Update.CANCEL_CASE,
                     d.private["fin.luis"], staff_id="fin.luis")
        assert "finance key" in await refused(case, Update.CANCEL_CASE, msg)
        # Signed honestly as finance, the case's own rule still says only staff may cancel.
        as_finance = Actor(role=Role.FINANCE, id="fin.luis")
        msg = signed(CancelCase(actor=as_finance, reason="The client withdrew"), case.handle.id, Update.CANCEL_CASE,
                     d.private["fin.luis"], staff_id="fin.luis", role="finance")
        assert "only staff" in await refused(case, Update.CANCEL_CASE, msg)


async def test_another_members_key_cannot_sign_for_ana() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        d.add("coord.ben")
        await asyncio.sleep(5.1)
        await case.handle.execute_update(REFRESH_STAFF_DIRECTORY, None)
        msg = signed(CancelCase(actor=ANA, reason="The client withdrew"), case.handle.id, Update.CANCEL_CASE,
                     d.private["coord.ben"], staff_id="coord.ana")
        assert "belongs to coord.ben" in await refused(case, Update.CANCEL_CASE, msg)


async def test_unsigned_staff_updates_on_the_advocate_entity_are_refused() -> None:
    async with guarded(entity_policy=SIGNED) as (h, _d):
        h.policy = CasePolicy()  # the case itself unsigned, so the harness can bring it to the agreement
        case = await waiting_for_review(h)
        await case.assign()
        await case.accept()
        entity = h.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))

        async def started() -> bool:
            try:
                await entity.query("agreement")
                return True
            except Exception:
                return False
        await eventually(started, bool, what="the Advocate entity")
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await entity.execute_update(Update.RESEND_AGREEMENT, ResendAgreement(actor=ANA), result_type=Receipt)
        assert "must be signed" in str(getattr(info.value.cause, "message", info.value.cause))


# ------------------------------------------- S1: runs older than the requirement, on a worker that requires it
async def test_a_case_started_unsigned_is_guarded_by_a_worker_that_requires_signatures(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Every case opened before this release has ``require_staff_signatures=False`` in its policy."""
    from starters import staff_actions
    from starters.staff_signing import write_private_key

    async with guarded(deployment=True) as (h, d):
        h.policy = CasePolicy()  # an older case: its policy does not ask for signatures
        case = await waiting_for_review(h)
        assert "must be signed" in await refused(case, Update.CANCEL_CASE, CancelCase(actor=ANA, reason="forged"))
        assert "must be signed" in await refused(case, Update.REVIEW_CASE, accept())
        assert d.loads == 0  # its policy never asked for the directory
        # The CLI's path: refused for an unknown key, one refresh (allowed whatever the policy), accepted.
        write_private_key(tmp_path / "coord.ana.key", d.private["coord.ana"])
        monkeypatch.setenv("CASEFAC_STAFF__KEYS_DIR", str(tmp_path))
        monkeypatch.setenv("CASEFAC_DATA_DIR", str(tmp_path / "data"))
        receipt = await staff_actions.cancel(h.client, case.case_id, ANA, "The client withdrew")
        assert receipt.message
        assert d.loads == 1
        await case.until(lambda s: s.stage is CaseStage.CANCELLED, "cancelled")
        history = await case.handle.fetch_history()
    # Replay-safe: the worker's requirement is read by validators only, so the history replays the same on a
    # worker that requires signatures and on one that does not.
    for require in (True, False):
        replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow],
                            data_converter=data_converter(None), workflow_runner=workflow_runner(strict=True),
                            interceptors=[CasefacGuard(require_signatures=require)])
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert result.replay_failure is None


async def test_an_entity_started_unsigned_is_guarded_by_a_worker_that_requires_signatures(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Advocate entities live for ever: every one started before this release has an unsigned policy."""
    from starters.commands.resend import resend
    from starters.staff_signing import write_private_key

    async with guarded(entity_policy=CasePolicy(), deployment=True) as (h, d):
        h.policy = CasePolicy()
        case = await waiting_for_review(h)
        write_private_key(tmp_path / "coord.ana.key", d.private["coord.ana"])
        monkeypatch.setenv("CASEFAC_STAFF__KEYS_DIR", str(tmp_path))
        monkeypatch.setenv("CASEFAC_DATA_DIR", str(tmp_path / "data"))
        await staff_actions_review(h, case)
        await case.accept()
        entity = h.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))

        async def started() -> bool:
            try:
                await entity.query("agreement")
                return True
            except Exception:
                return False
        await eventually(started, bool, what="the Advocate entity")
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await entity.execute_update(Update.RESEND_AGREEMENT, ResendAgreement(actor=ANA), result_type=Receipt)
        assert "must be signed" in str(getattr(info.value.cause, "message", info.value.cause))
        loads = d.loads
        receipt, _to = await resend(h.client, case.case_id, "agreement", ANA)
        assert "re-sending the Advocate Agreement" in receipt.message
        assert d.loads == loads + 1  # one refresh of the entity's (empty) directory


async def staff_actions_review(h: Harness, case: Case) -> None:
    """Accept the case the way the CLI does (signed, refreshing once when the case asks)."""
    from starters import staff_actions

    await staff_actions.review(h.client, case.case_id, ANA, defender_id="DEF-GT-001")
    case.defender_id = "DEF-GT-001"
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "defender", "offer sent")


def test_continue_as_new_never_lowers_the_requirement() -> None:
    from types import SimpleNamespace

    from workflows.guard_staff import DEPLOYMENT_MARK, carried_policy

    old = SimpleNamespace(policy=CasePolicy())
    assert carried_policy(old).require_staff_signatures is False
    setattr(old, DEPLOYMENT_MARK, True)  # the run continued on a worker that requires signatures
    assert carried_policy(old).require_staff_signatures is True
    signed_run = SimpleNamespace(policy=SIGNED)
    setattr(signed_run, DEPLOYMENT_MARK, False)  # a worker that does not: never lowered
    assert carried_policy(signed_run).require_staff_signatures is True


def test_every_update_of_a_guarded_workflow_has_a_validator() -> None:
    """The deployment's requirement is checked in validators only (they never run on replay): an update
    without one would be checked in its handler by the run's policy alone."""
    from temporalio import workflow as wf

    for cls in (CaseFacilitationWorkflow, AdvocateWorkflow):
        defn = wf._Definition.must_from_class(cls)
        missing = [name for name, u in defn.updates.items() if u.validator is None]
        assert not missing, f"{cls.__name__}: updates without a validator: {missing}"


def test_a_guard_without_its_link_checks_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken install (``workflows/guard_links.py`` missing) must not run with the link checks skipped."""
    import importlib
    import sys

    import workflows

    monkeypatch.delattr(workflows, "guard_links", raising=False)
    monkeypatch.setitem(sys.modules, "workflows.guard_links", None)  # what a missing module imports as
    monkeypatch.delitem(sys.modules, "workflows.guard")
    with pytest.raises(ImportError):
        importlib.import_module("workflows.guard")


# ------------------------------------------------------------------------------- the genuine path
async def test_a_signed_update_is_accepted_once_and_a_retry_attaches_to_it() -> None:
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        msg = signed(accept(), case.handle.id, Update.REVIEW_CASE, d.private["coord.ana"])
        uid = update_id(msg.assertion)
        first = await case.handle.execute_update(Update.REVIEW_CASE, msg, id=uid, result_type=Receipt)
        again = await case.handle.execute_update(Update.REVIEW_CASE, msg, id=uid, result_type=Receipt)
        assert again == first  # review m3: the retry attached to the first update, nothing ran twice
        status = await case.status()
        assert [e.actor for e in status.timeline if e.event.startswith("accepted")] == ["staff:coord.ana"]


async def test_a_key_new_to_the_case_works_after_one_refresh(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Any) -> None:
    from starters import staff_actions
    from starters.staff_signing import write_private_key

    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        key = d.add("coord.new")  # added after the case loaded its directory
        write_private_key(tmp_path / "coord.new.key", key)
        monkeypatch.setenv("CASEFAC_STAFF__KEYS_DIR", str(tmp_path))
        monkeypatch.setenv("CASEFAC_DATA_DIR", str(tmp_path / "data"))
        await asyncio.sleep(5.1)
        receipt = await staff_actions.review(h.client, case.case_id, Actor(role=Role.STAFF, id="coord.new"),
                                             defender_id="DEF-GT-001")
        assert "offered to DEF-GT-001" in receipt.message
        assert d.loads == 2  # the start of the run, then the refresh the CLI asked for


async def test_without_the_guard_a_signing_case_fails_closed() -> None:
    async with guarded(interceptors=False) as (h, _d):
        case = await h.open()

        async def task_failures() -> list[Any]:
            return [e for e in await history_events(case.handle) if e.HasField("workflow_task_failed_event_attributes")]
        failures = await eventually(task_failures, bool, what="a failed workflow task")
        assert b"no staff guard" in failures[0].SerializeToString()
        assert not h.fakes.mails("case_received")


async def test_a_guarded_history_replays_with_the_guard() -> None:
    """The handler-side checks and the nonce bookkeeping are deterministic: the history replays as it ran."""
    async with guarded() as (h, d):
        case = await waiting_for_review(h)
        msg = signed(accept(), case.handle.id, Update.REVIEW_CASE, d.private["coord.ana"])
        await case.handle.execute_update(Update.REVIEW_CASE, msg, result_type=Receipt)
        assert "already used" in await refused(case, Update.REVIEW_CASE, msg, update_id="again")
        await case.until(lambda s: s.waiting is not None and s.waiting.role == "defender", "offer sent")
        history = await case.handle.fetch_history()
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True), interceptors=[CasefacGuard()])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
