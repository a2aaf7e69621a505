"""DocuSign's truth about an envelope (review M7, m12; security C2 §4), against the sandbox with the real SDK:
the read-only status look-up, a found envelope's real status, and stray duplicates voided when found."""

from __future__ import annotations

from typing import Any

import pytest

from activities.esign import EsignActivities
from casefac.activity_io import GetEnvelopeStatus
from sandbox.testing import RunningSandbox
from tests.activities.act_factories import contract_request
from tests.activities.test_act_esign import envelopes, esign, run, sign_all, store  # noqa: F401 (fixtures)


async def test_the_status_look_up_says_who_signed(esign: EsignActivities, sandbox: RunningSandbox,  # noqa: F811
                                                  docusign_settings: Any) -> None:
    ref = await run(esign.send_contract_envelope, contract_request())
    truth = await run(esign.get_envelope_status, GetEnvelopeStatus(envelope_id=ref.envelope_id, reason="test"))
    assert (truth.status, truth.signed) == ("sent", [])
    sign_all(docusign_settings, envelopes(sandbox)[0])
    truth = await run(esign.get_envelope_status, GetEnvelopeStatus(envelope_id=ref.envelope_id, reason="test"))
    assert truth.status == "completed" and sorted(truth.signed) == ["1", "2", "3"]


async def test_a_found_envelope_reports_its_real_status(esign: EsignActivities, sandbox: RunningSandbox,  # noqa: F811
                                                        docusign_settings: Any) -> None:
    await run(esign.send_contract_envelope, contract_request())
    sign_all(docusign_settings, envelopes(sandbox)[0])
    again = await run(esign.send_contract_envelope, contract_request())  # a retry after a lost answer
    assert again.status == "completed"
    assert len(envelopes(sandbox)) == 1


async def test_a_stray_duplicate_is_voided_when_found(esign: EsignActivities, sandbox: RunningSandbox,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first = await run(esign.send_contract_envelope, contract_request())
    with monkeypatch.context() as patch:  # the search lagged behind the first create: a second one is made
        patch.setattr(esign, "_find", lambda workflow_id, step: None)
        await run(esign.send_contract_envelope, contract_request())
    assert len(envelopes(sandbox)) == 2
    kept = await run(esign.send_contract_envelope, contract_request())
    assert kept.envelope_id == first.envelope_id
    statuses = {e["envelopeId"]: e["status"] for e in envelopes(sandbox)}
    assert statuses[first.envelope_id] == "sent"
    assert sorted(statuses.values()) == ["sent", "voided"]
