"""Whether a link's action is still open, read from the case's ``status`` alone.

This is the links' one-shot semantics without a store of used tokens: once the case shows the action as
done (the offer answered, the evaluation in, the signature recorded), every link for it shows the friendly
"already done" page. Links for repeatable actions (task updates, contract review, reports) stay usable
for as long as the case is in the stage that accepts them. Two later states are never dead ends: once
everyone has signed, a party's contract links show the signed contract read-only; once the case is
cancelled, every link says so (with JiM's address) instead of "already done".
"""

from __future__ import annotations

from typing import Literal

from casefac.activity_io import CONTRACT_SIGNERS, PortalAction
from casefac.case import CaseStage
from casefac.parties import Role
from casefac.status import CaseStatus

#: Stages in which the Advocate may report the outcome (``workflows/rules.py: report_outcome``).
OUTCOME_STAGES = (CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION)
ORDER = (CaseStage.REVIEW, CaseStage.AGREEMENT, CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION)
#: The first stage in which each action can be taken: before it a link is "not yet", not "done".
FIRST_STAGE = {"respond_assignment": CaseStage.REVIEW, "review_contract": CaseStage.AGREEMENT,
               "sign_contract": CaseStage.AGREEMENT, "sign_agreement": CaseStage.AGREEMENT,
               "update_task": CaseStage.ASSIGNMENT, "submit_report": CaseStage.ASSIGNMENT,
               "report_outcome": CaseStage.ASSIGNMENT, "evaluate": CaseStage.EVALUATION}
LinkState = Literal["open", "done", "early", "cancelled", "signed"]
#: Links that, once everyone has signed, open the signed contract read-only instead of "already done".
CONTRACT_LINKS = ("review_contract", "sign_contract")


def party_matches(action: PortalAction, status: CaseStatus) -> bool:
    """The link's party still holds that role in the case (a Defender replaced after declining does not)."""
    if action.role is Role.ADVOCATE:
        return action.party_id == status.advocate_id
    if action.role is Role.DEFENDER:
        return status.defender_id is not None and action.party_id == status.defender_id
    # JiM staff only sign on the portal: their mail goes to the shared coordinators' address.
    return action.role is Role.STAFF and action.action == "sign_contract"


def contract_open(status: CaseStatus) -> bool:
    envelope = status.envelope
    return (status.stage is CaseStage.AGREEMENT and status.contract is not None
            and (envelope is None or envelope.status in ("declined", "voided")))


def still_open(action: PortalAction, status: CaseStatus) -> bool:
    """True while the case still waits for (or accepts) this action from this party."""
    name = action.action
    if name == "respond_assignment":
        waiting = status.waiting
        return (status.stage is CaseStage.REVIEW and status.defender_id == action.party_id
                and waiting is not None and waiting.role == "defender")
    if name == "review_contract":
        return contract_open(status)
    if name == "sign_contract":
        envelope = status.envelope
        return (status.stage is CaseStage.AGREEMENT and envelope is not None and envelope.status == "sent"
                and CONTRACT_SIGNERS[action.role] not in envelope.signed)
    if name == "sign_agreement":
        return agreement_open(status)
    if name == "update_task":
        return status.stage in (CaseStage.ASSIGNMENT, CaseStage.PAYMENT)
    if name == "submit_report":
        return status.stage is CaseStage.ASSIGNMENT and not any(r.status == "submitted" for r in status.reports)
    if name == "evaluate":
        return status.stage is CaseStage.EVALUATION and action.role.value not in status.evaluations_from
    if name == "report_outcome":
        return status.stage in OUTCOME_STAGES and status.outcome is None
    return False


def agreement_open(status: CaseStatus) -> bool:
    """An Agreement link stays live while this case has not seen the Agreement in force, whatever became of the
    case: the Agreement is one per Advocate, so the sign page resolves the envelope through the Advocate's
    entity (``pages/sign.py``), and a link from a cancelled first case still leads to the live signing that a
    second case waits for (issue 12 item 1). Never "already signed" while it is not."""
    return status.agreement.status != "signed"


def signer_turn(role: Role, status: CaseStatus) -> bool:
    """Whether every signer before ``role`` in the routing order has signed (DocuSign enforces it too)."""
    envelope = status.envelope
    if envelope is None:
        return False
    mine = int(CONTRACT_SIGNERS[role])
    return all(rid in envelope.signed for rid in CONTRACT_SIGNERS.values() if int(rid) < mine)


def contract_signed(status: CaseStatus) -> bool:
    envelope = status.envelope
    return (status.contract is not None and envelope is not None and envelope.status == "completed"
            and envelope.revision == status.contract.number)


def link_state(action: PortalAction, status: CaseStatus) -> LinkState:
    """``open``; ``signed`` (a contract link after everyone signed: the contract, read-only);
    ``cancelled`` (the case was cancelled: every link says so); ``done`` (one-shot: already answered,
    or the case moved past it) or ``early`` (not yet)."""
    if action.action == "sign_agreement":  # the Advocate's, not the case's: see ``agreement_open``
        return "open" if agreement_open(status) else "done"
    if status.stage is CaseStage.CANCELLED:
        return "cancelled"
    if still_open(action, status):
        return "open"
    if action.action in CONTRACT_LINKS and contract_signed(status):
        return "signed"
    if status.stage.terminal:
        return "done"
    first = FIRST_STAGE.get(action.action, CaseStage.REVIEW)
    if ORDER.index(status.stage) < ORDER.index(first):
        return "early"
    if action.action == "sign_contract" and status.stage is CaseStage.AGREEMENT and contract_open(status):
        return "early"  # still in review: the signing email comes once everyone approved
    return "done"
