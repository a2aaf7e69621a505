"""Finance's view in the Temporal UI, checked where the UI reads it: history, metadata, search attributes.

Every activity the demo case scheduled carries a readable summary (``user_metadata.summary``, encrypted
like any payload and decoded here through the data converter); the workflow's current details hold the
money trail; the README's saved queries are valid; and the UI is configured to decrypt through the
codec service, which answers the UI's origin.
"""

from __future__ import annotations

import base64
import json
from datetime import date

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from casefac import search_attributes as sa
from casefac.codec import ENCODING
from casefac.ids import case_workflow_id
from casefac.temporal_client import connect_client
from starters.finance_views import views
from tests.integration.conftest import DemoRun, UpProcess

pytestmark = pytest.mark.integration

#: The saved views the README's "For finance" section tells finance to create (and `casefac up` prints).
FINANCE_QUERIES = list(views(date.today()).values())


@pytest.fixture(scope="module")
async def client(up_stack: UpProcess) -> Client:
    return await connect_client(up_stack.settings())


async def _summaries(client: Client, workflow_id: str) -> list[tuple[str, str, Payload]]:
    """(activity type, decoded summary, raw summary payload) for every ActivityTaskScheduled event."""
    found = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        kind = event.activity_task_scheduled_event_attributes.activity_type.name
        assert event.user_metadata.HasField("summary"), f"{kind} has no summary"
        raw = event.user_metadata.summary
        [text] = await client.data_converter.decode([raw], [str])
        found.append((kind, text, raw))
    return found


async def test_every_activity_has_a_summary_finance_can_read(client: Client, joined_demo: DemoRun) -> None:
    assert joined_demo.case_id, joined_demo.out
    case_id = joined_demo.case_id
    summaries = await _summaries(client, case_workflow_id(case_id))
    kinds = {kind for kind, _, _ in summaries}
    assert {"esign.send_contract", "esign.store_documents", "mail.send", "billing.issue_invoice",
            "billing.pay_defender", "roster.load", "agreement.request"} <= kinds
    texts = [text for _, text, _ in summaries]
    assert all(text.strip() for text in texts)
    assert f"Stripe invoice {case_id} · USD 155.00" in texts
    assert "Stripe transfer to DEF-GT-001 · USD 155.00" in texts
    assert f"DocuSign contract {case_id} · revision 2" in texts
    assert any(t.startswith("Email invoice_sent to advocate ADV-DEMO-") for t in texts)
    # Stored encrypted like every payload: the server and the UI see ciphertext until the codec decodes it.
    assert all(raw.metadata["encoding"] == ENCODING for _, _, raw in summaries)


async def test_current_details_hold_the_money_trail(client: Client, joined_demo: DemoRun) -> None:
    assert joined_demo.case_id
    handle = client.get_workflow_handle(case_workflow_id(joined_demo.case_id))
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    details = metadata.current_details
    assert f"**{joined_demo.case_id}** · CLOSED · GT" in details
    assert "· report 1 · **USD 155.00** · **paid**\n  issued " in details  # the invoice line, then its dates
    assert "**Payout to DEF-GT-001** · report 1 · **USD 155.00** · **paid**" in details and "ref tr_" in details
    described = await handle.describe()
    assert await described.static_summary() == f"Case {joined_demo.case_id} · GT · protection"
    attrs = described.typed_search_attributes
    assert attrs.get(sa.CASE_STAGE) == "CLOSED" and attrs.get(sa.INVOICE_STATUS) == "paid"
    assert attrs.get(sa.INVOICE_AMOUNT) == 15500 and attrs.get(sa.DEFENDER_ID) == "DEF-GT-001"
    assert attrs.get(sa.INVOICE_TOTAL) == 155.0 and attrs.get(sa.INVOICE_CURRENCY) == "USD"
    assert attrs.get(sa.PAYOUT_STATUS) == "paid" and attrs.get(sa.INVOICE_ISSUED) is not None


async def test_the_readmes_finance_queries_run(client: Client, joined_demo: DemoRun) -> None:
    for query in FINANCE_QUERIES:
        await client.count_workflows(query)  # a malformed query raises
    paid = [wf.id async for wf in client.list_workflows('InvoiceStatus = "paid" AND InvoiceTotal >= 155')]
    assert case_workflow_id(joined_demo.case_id or "") in paid


async def test_the_ui_decrypts_through_the_codec_service(up_stack: UpProcess, client: Client,
                                                         joined_demo: DemoRun) -> None:
    """The UI's settings name the loopback codec service (no token, not the gateway); it answers the UI's
    origin without login and nobody else (review C1)."""
    settings = up_stack.settings()
    ui = f"http://127.0.0.1:{settings.temporal.ui_port}"
    async with httpx.AsyncClient(timeout=10) as http:
        ui_settings = (await http.get(f"{ui}/api/v1/settings")).json()
        endpoint = ui_settings["Codec"]["Endpoint"]
        assert endpoint == f"http://127.0.0.1:{settings.codec.port}"
        assert not (await http.post(f"{settings.gateway.public_url}/codec/decode", json={})).is_success
        _, _, raw = (await _summaries(client, case_workflow_id(joined_demo.case_id or "")))[0]
        body = {"payloads": [{"metadata": {k: base64.b64encode(v).decode() for k, v in raw.metadata.items()},
                              "data": base64.b64encode(raw.data).decode()}]}
        # What the UI's browser does: a preflight, then a POST from the UI's origin without our bearer token.
        preflight = await http.options(f"{endpoint}/decode", headers={
            "Origin": ui, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace"})
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ui
        answer = await http.post(f"{endpoint}/decode", json=body, headers={"Origin": ui, "X-Namespace": "default"})
        foreign = await http.post(f"{endpoint}/decode", json=body, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ui
    decoded = answer.json()["payloads"][0]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(decoded["data"])).strip()
