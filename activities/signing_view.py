"""The recipient-view activity (review M7): DocuSign's key stays on the worker, never on the public gateway.

The portal's "sign" button starts ``SigningViewWorkflow``; its one activity runs here, on the e-sign
queue. It does not trust its input for who signs: it asks the case (``status`` and ``signer`` queries) or
the Advocate entity (``agreement`` and ``signer``) through the worker's own Temporal client, checks that
the link's party still holds that role, that it is their turn and that their link was not revoked, and
only then opens a view for the signer exactly as the envelope names them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.esign import JIM_CLIENT_USER_ID, create_signing_url
from casefac.activity_io import CONTRACT_SIGNERS
from casefac.case import CaseStage
from casefac.errors import ErrorType
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.parties import Role
from casefac.settings import DocuSignSettings
from casefac.signing import CREATE_SIGNING_VIEW, SigningViewRequest, SigningViewResult
from casefac.state import AdvocateState
from casefac.status import CaseStatus, SignerView

#: DocuSign's refusals of a view, as the portal's refusal pages.
_REFUSALS = {ErrorType.RECIPIENT_NOT_IN_SEQUENCE: "not_your_turn", ErrorType.ENVELOPE_NOT_SIGNABLE: "signed_already"}


class SigningViewActivities:
    def __init__(self, settings: DocuSignSettings) -> None:
        self._settings = settings

    @activity.defn(name=CREATE_SIGNING_VIEW)
    async def create_signing_view(self, request: SigningViewRequest) -> SigningViewResult:
        client = activity.client()
        signer = await (self._agreement_signer(client, request) if request.action == "sign_agreement"
                        else self._contract_signer(client, request))
        if not isinstance(signer, SignerView):
            return SigningViewResult(refusal=signer)
        try:
            url = await asyncio.to_thread(create_signing_url, self._settings, signer.envelope_id, signer.recipient_id,
                                          signer.client_user_id, signer.name, signer.email, request.return_url)
        except ApplicationError as exc:
            refusal = _REFUSALS.get(exc.type or "")
            if refusal is None:
                raise  # DocuSign unavailable (retried) or refusing for good (the portal says "try later")
            return SigningViewResult(refusal=refusal)  # type: ignore[arg-type]
        activity.logger.info("signing view opened for %s on %s", request.role.value, request.case_id)
        return SigningViewResult(url=url)

    async def _contract_signer(self, client: Client, request: SigningViewRequest) -> SignerView | str:
        handle = client.get_workflow_handle(case_workflow_id(request.case_id))
        status: CaseStatus = await handle.query("status", result_type=CaseStatus)
        if request.epoch < status.link_epochs.get(f"{request.role.value}:{request.party_id}", 0):
            return "replaced"
        if not _holds_role(request, status):
            return "done"
        envelope = status.envelope
        if status.stage is not CaseStage.AGREEMENT or envelope is None or envelope.status != "sent":
            return "done"
        mine = CONTRACT_SIGNERS[request.role]
        if mine in envelope.signed:
            return "signed_already"
        if not all(rid in envelope.signed for rid in CONTRACT_SIGNERS.values() if int(rid) < int(mine)):
            return "not_your_turn"
        view: Any = await handle.query("signer", request.role.value, result_type=SignerView)
        if isinstance(view, SignerView) and view.envelope_id == envelope.envelope_id:
            return view
        if request.role is Role.STAFF:
            ds = self._settings
            return SignerView(envelope_id=envelope.envelope_id, recipient_id=mine, client_user_id=JIM_CLIENT_USER_ID,
                              name=ds.jim_signer_name, email=ds.jim_signer_email)
        return "done"

    async def _agreement_signer(self, client: Client, request: SigningViewRequest) -> SignerView | str:
        if request.role is not Role.ADVOCATE:
            return "done"
        handle = client.get_workflow_handle(advocate_workflow_id(request.party_id))
        state: AdvocateState = await handle.query("agreement", result_type=AdvocateState)
        if request.epoch < state.link_epochs.get(f"{Role.ADVOCATE.value}:{request.party_id}", 0):
            return "replaced"
        if state.status != "pending" or not state.envelope_id:
            return "signed_already" if state.status == "signed" else "done"
        view: Any = await handle.query("signer", result_type=SignerView)
        return view if isinstance(view, SignerView) else "done"


def _holds_role(request: SigningViewRequest, status: CaseStatus) -> bool:
    """The link's party still holds its role on the case (a replaced Defender does not)."""
    if request.role is Role.ADVOCATE:
        return request.party_id == status.advocate_id
    if request.role is Role.DEFENDER:
        return status.defender_id is not None and request.party_id == status.defender_id
    return request.role is Role.STAFF
