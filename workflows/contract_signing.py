"""The AGREEMENT stage's ``workflow.patched`` ids and timings (issue 12 item 1; review C1, M4, M7, m10, m12;
security C2 §4, m8). Each patch changes the commands a running case issues, so cases that reached the code
before it replay the old path; new cases (and old ones reaching that point afresh) take the new one.
"""

from __future__ import annotations

from datetime import timedelta

#: ``workflow.patched`` id (C1): defensive check after the contract envelope is created: if the current revision
#: is not the one sent (it cannot change while ``signing_revision`` freezes it), the envelope is voided and the
#: case goes back to approvals; a decline clears the approvals of the declined AND the current revision.
CONTRACT_FROZEN_PATCH = "contract-frozen-signing"
#: ``workflow.patched`` id (security C2 §4, M7, m12): a "completed" envelope event is confirmed with DocuSign
#: (``esign.get_envelope_status``) before the case treats the contract as signed; signature reminders ask
#: DocuSign first; the wait for "completed" has a timer that reconciles then escalates; a found envelope's
#: real status is honoured.
ENVELOPE_CONFIRM_PATCH = "envelope-confirm"
#: ``workflow.patched`` id (security C2 §4): an ``agreement_signed`` signal is believed only once the Advocate's
#: entity confirms it (``agreement.confirm``).
AGREEMENT_CONFIRM_PATCH = "agreement-confirm"
#: ``workflow.patched`` id (W1): an ``agreement_signed`` claim the entity did not confirm when asked is not
#: dropped at once: the case asks again when the entity's next signal arrives or after a short pause
#: (``AGREEMENT_RECHECKS``), then ignores it. A claim always meets an answer that can confirm it, e.g. when
#: the first question reached the entity's run that was just continuing as new.
AGREEMENT_CONFIRM_AGAIN_PATCH = "agreement-confirm-again"
#: Pauses before asking the entity again about a claim it did not confirm (then the claim is ignored).
AGREEMENT_RECHECKS = (timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))
#: ``workflow.patched`` id (M4): a cancelled case signals ``withdraw_request`` to its Advocate's entity.
AGREEMENT_WITHDRAW_PATCH = "agreement-withdraw"
#: ``workflow.patched`` id (m10): the contract and signature escalation clocks survive new revisions and
#: signatures, and CONTRACT_REVIEW is not sent again right after CONTRACT_RETURNED for the same revision.
CONTRACT_CLOCK_PATCH = "contract-clock"

#: Silence after the last signature before the case asks DocuSign itself (then on each tick), and escalates.
RECONCILE_AFTER = timedelta(hours=6)
