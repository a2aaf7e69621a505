"""Fuzzed update payloads against a case parked at each stage: refused cleanly or accepted consistently.

For every stage where people act (REVIEW, AGREEMENT with the contract under review, ASSIGNMENT, PAYMENT with
a report under review, EVALUATION) one case is parked once, then many fuzzed payloads go to every update
name. Each answer must be either

- a refusal (``WorkflowUpdateFailedError``) whose message reads ``field: rule``, is under 2 KB, equals what
  ``rules`` say for this payload and this state, and leaves the case exactly as it was; or
- an acceptance that the rules AND the independent who-may-do-what table allow, after which the case
  moved exactly as the update says.

Never a failed workflow task (history is checked after every example), never a ``status`` query that
fails. After the last example the case must still cancel cleanly. See ``case_kit`` for the oracle.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import event, given
from temporalio.client import WorkflowUpdateFailedError

from casefac.case import CaseStage
from casefac.messages import CancelCase, Update
from tests.fuzz import strategies as fz
from tests.fuzz.case_kit import exercise, park, settle
from tests.fuzz.profiles import fuzz
from tests.fuzz.threads import on_loop, run_in_thread
from tests.workflow.harness import STAFF, Harness

#: Hypothesis warns when it prints a multi-megabyte falsifying example; printing it is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

#: The updates each parked stage is about (half the examples); the other half goes to any update name.
FOCUS: dict[CaseStage, list[str]] = {
    CaseStage.REVIEW: [Update.REVIEW_CASE, Update.RESPOND_TO_ASSIGNMENT, Update.CANCEL_CASE],
    CaseStage.AGREEMENT: [Update.EDIT_CONTRACT, Update.APPROVE_CONTRACT],
    CaseStage.ASSIGNMENT: [Update.UPDATE_TASK, Update.SUBMIT_REPORT, Update.REPORT_OUTCOME],
    CaseStage.PAYMENT: [Update.REVIEW_REPORT, Update.UPDATE_TASK, Update.RECORD_PAYOUT],
    CaseStage.EVALUATION: [Update.SUBMIT_EVALUATION, Update.REPORT_OUTCOME, Update.RECORD_PAYOUT],
}
PARKED_STAGES = list(FOCUS)


@pytest.mark.parametrize("stage", PARKED_STAGES, ids=lambda s: s.value.lower())
async def test_fuzzed_updates_are_refused_cleanly_or_applied_consistently(harness: Harness,
                                                                           stage: CaseStage) -> None:
    """People (and a compromised portal session) can send anything: a case must stay sound through it."""
    parked = await park(harness, stage)
    loop = asyncio.get_running_loop()

    @fuzz(1.0)
    @given(named=fz.named_update_payloads(FOCUS[stage]))
    def one_payload(named: tuple[str, Any]) -> None:
        event(on_loop(loop, exercise(parked, *named)))

    await run_in_thread(one_payload)
    print(f"{stage.value}: {sorted(parked.tally.items())}")
    # Whatever it went through, the case is healthy: staff can still cancel it, and it winds down cleanly.
    await parked.case.update(Update.CANCEL_CASE, CancelCase(actor=STAFF, reason="fuzzing done", invoices="void"))
    status = await parked.case.stage(CaseStage.CANCELLED)
    assert status.stage is CaseStage.CANCELLED
    await settle(parked.case)


async def test_wrong_argument_counts_are_refused_not_crashed(harness: Harness) -> None:
    """No argument or two arguments is the SDK's business, but it must stay a refusal, never a task failure."""
    parked = await park(harness, CaseStage.REVIEW)
    before = parked.status
    for name in fz.UPDATE_NAMES:
        for args in ([], [{"actor": {"role": "staff", "id": "coord.ana"}}, {"extra": 1}]):
            with pytest.raises(WorkflowUpdateFailedError) as err:
                await parked.case.handle.execute_update(name, args=args)
            assert str(err.value.cause).strip(), name
    after = await settle(parked.case)
    assert before is not None and after.stage is before.stage and after.timeline == before.timeline
