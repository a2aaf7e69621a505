"""Product bugs the fuzzer found, each as the smallest input that shows it. They fail until fixed.

Kept apart from the property tests so each bug is one readable, fast, deterministic test (the properties
re-find them, but only after some examples and shrinking). Proposed fixes are in the docstrings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError

from casefac.case import CaseRequest, CaseStage, MatterType
from casefac.case import Client as CaseClient
from casefac.events import AgreementRequest, EnvelopeEvent, MailEvent
from casefac.messages import ApproveContract, ReviewCase, ReviewReport, SubmitReport, Update
from casefac.money import ExchangeRate
from casefac.parties import Advocate, Service
from casefac.settings import Settings
from casefac.state import CaseState
from gateway.app import create_app
from tests.fuzz.case_kit import park, settle
from tests.fuzz.props import rule_message_problem
from tests.fuzz.webhook_kit import sign
from tests.gateway.gateway_kit import STRIPE_SECRET, SendGridKey, recent_generated
from tests.workflow.fakes import ROSTER
from tests.workflow.harness import STAFF, Harness
from workflows import rules

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

SURROGATE = "\ud800"  # legal in JSON text ("\\ud800") and in a Python str; not encodable as UTF-8


def refusal(call: Callable[[], object]) -> str:
    """The ``ValueError`` text a validator would send back for this call."""
    with pytest.raises(ValueError) as err:
        call()
    return str(err.value)


# ------------------------------------------------------------------ F1: refusals echo unbounded input
def test_f1a_an_unknown_key_is_echoed_whole_into_the_refusal() -> None:
    """``rules.parse`` builds the field path from the payload's own keys, uncut: ten 100 kB keys make a 1 MB
    refusal that the portal and CLI print. Fix: in ``rules.parse`` cut each path segment (e.g. 40 chars,
    ``repr`` of keys that are not identifiers), each pydantic message (200) and the whole text (1,500)."""
    message = refusal(lambda: rules.parse(ApproveContract, {"x" * 3_000: None}))
    assert rule_message_problem(message) is None


def test_f1b_an_unknown_utbms_code_is_echoed_whole_into_the_refusal() -> None:
    """``HourLine._task`` (and the activity / expense code validators) say ``unknown UTBMS task code {value!r}``
    and the code fields have no length limit. Fix: ``max_length=8`` on the code fields (UTBMS codes are 4
    chars) and/or quote at most the first 20 chars of the value."""
    line = {"date": "2026-03-01", "hours": "1", "task_code": "x" * 5_000, "activity_code": "A101",
            "description": "call"}
    payload = {"actor": {"role": "defender", "id": "DEF-GT-001"}, "report": {"kind": "final", "hours": [line]}}
    assert rule_message_problem(refusal(lambda: rules.parse(SubmitReport, payload))) is None


def test_f1c_an_unknown_defender_id_is_echoed_whole_into_the_refusal() -> None:
    """``ReviewCase.defender_id`` is ``str | None`` (no pattern, no length) and ``rules.review_case`` says
    ``defender_id: {id} is not in the roster``. Fix: type it ``PartyId | None`` (``casefac.parties``), so a bad
    id is refused by the pattern without being quoted."""
    state = CaseState(opened_at=datetime(2026, 3, 1, tzinfo=UTC),
                      roster=[d for d in ROSTER.defenders if d.country == "GT"])
    request = CaseRequest(
        case_id="JIM-2026-0001", client=CaseClient(full_name="Rosa"), country="GT",
        advocate=Advocate(id="ADV-1", name="Dana", organization="Law", email="dana@whitfield-law.example.com",
                          country="US"),
        matter_type=MatterType.PROTECTION, services=[Service.LOCATE_CLIENT], description="Locate the client",
        opened_by=STAFF)
    with pytest.raises(ValidationError):  # refused by the id's pattern, never quoted back
        ReviewCase(actor=STAFF, decision="accept", defender_id="D" * 5_000)
    msg = ReviewCase(actor=STAFF, decision="accept", defender_id="DEF-XX-" + "9" * 30)
    assert rule_message_problem(refusal(lambda: rules.review_case(request, state, msg, date(2026, 3, 1)))) is None


# ----------------------------------------------------- F2: an overflowing approval is refused unreadably
async def test_f2_an_approval_whose_amounts_overflow_names_the_field(harness: Harness) -> None:
    """Approving the parked report (GTQ 250.00 expense) with a mistyped GTQ->USD rate of 40,000 makes the
    converted amount exceed ``MAX_MINOR``; ``_v_review_report`` calls ``price_report``, whose ``Money``
    raises a pydantic ``ValidationError``, and staff read ``1 validation error for Money / amount / Input
    should be less than or equal to 1000000000 [type=less_than_equal, input_value=…]``. It is refused (good)
    but names neither the update's field nor the rule. Fix: in ``rules.review_report`` (or the validator)
    catch the pricing overflow and raise ``ValueError("exchange_rates: converted amounts exceed USD
    10,000,000.00; check the rates")``. The same overflow makes ``submit_report`` accept a report whose total
    can never be priced (200 expenses of 10,000,000.00): check the report total in ``rules.submit_report``.
    """
    parked = await park(harness, CaseStage.PAYMENT)
    number = max(parked.reports)
    msg = ReviewReport(actor=STAFF, report_number=number, decision="approve",
                       exchange_rates=[ExchangeRate(source="GTQ", target="USD", rate=Decimal(40_000))])
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await parked.case.handle.execute_update(Update.REVIEW_REPORT, msg)
    message = getattr(err.value.cause, "message", "")
    assert (await settle(parked.case)).stage is CaseStage.PAYMENT
    assert rule_message_problem(message) is None


# ----------------------------------------------------------- F3-F8: webhooks answering 500 (or worse)
@pytest_asyncio.fixture
async def offline_gateway(fuzz_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with Temporal unreachable: F3-F7 happen before any signal is sent."""
    async def unreachable() -> Client:
        raise RuntimeError("Failed client connect: connection refused")

    transport = httpx.ASGITransport(app=create_app(fuzz_settings, unreachable), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("provider", ["docusign", "stripe", "sendgrid"])
async def test_f3_deeply_nested_json_is_400_not_500(offline_gateway: httpx.AsyncClient,
                                                    fuzz_sendgrid_key: SendGridKey, provider: str) -> None:
    """``json.loads`` raises ``RecursionError`` (not ``JSONDecodeError``) past ~1,000 levels; ``parse_json``
    and Stripe's ``construct_event`` let it escape → 500, and the provider retries the delivery forever.
    Fix: catch ``RecursionError`` in ``gateway.httputil.parse_json``; in ``webhooks_stripe.verify`` verify with
    ``stripe.WebhookSignature.verify_header`` and parse the body with ``parse_json`` (see F4)."""
    response = await offline_gateway.post(f"/webhooks/{provider}", content=DEEP,
                                          headers=sign(provider, DEEP, "plain", fuzz_sendgrid_key))
    assert response.status_code == 400, response.status_code


@pytest.mark.parametrize("body", [
    b"[1]", b'"event"', b"7",
    b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": "x"}',
    b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": [1]}}',
    b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {"id": "in_1", "metadata": [1]}}}',
], ids=["list", "string", "number", "data-string", "object-list", "metadata-list"])
async def test_f4_stripe_events_of_the_wrong_shape_are_400_not_500(offline_gateway: httpx.AsyncClient,
                                                                   fuzz_sendgrid_key: SendGridKey,
                                                                   body: bytes) -> None:
    """Correctly signed, but not an object where one is expected: ``build_v1_event`` calls ``.get`` on a
    list, and the route calls ``.get`` on ``data`` / ``data.object`` / ``metadata`` without checking their
    type → ``AttributeError`` → 500. Fix: after verifying the signature, parse with ``parse_json`` and walk
    the event with ``_dict``-style helpers (as ``webhooks_docusign`` does); a non-object event is 400."""
    response = await offline_gateway.post("/webhooks/stripe", content=body,
                                          headers=sign("stripe", body, "plain", fuzz_sendgrid_key))
    assert response.status_code in (200, 400), response.status_code


@pytest.mark.parametrize("field", ["envelopeId", "recipientId", "generatedDateTime"])
async def test_f5_docusign_lone_surrogate_is_not_500(offline_gateway: httpx.AsyncClient,
                                                     fuzz_sendgrid_key: SendGridKey, field: str) -> None:
    """``webhooks_docusign.event_id`` hashes the envelope id, recipient id and generation time with
    ``.encode("utf-8")`` outside the ``ValidationError`` guard → ``UnicodeEncodeError`` → 500. Fix: refuse
    strings that do not encode (or hash with ``encode("utf-8", "surrogatepass")``) and see F8 so the event
    model refuses them too → 400."""
    data: dict[str, object] = {"envelopeId": "env-1", "recipientId": "1", "envelopeSummary": {"customFields": {
        "textCustomFields": [{"name": "workflow_id", "value": "case-JIM-2026-0001"}]}}}
    payload: dict[str, object] = {"event": "recipient-completed", "generatedDateTime": recent_generated(),
                                  "data": data}  # recent: an old one is dropped before the event id is hashed
    (payload if field == "generatedDateTime" else data)[field] = SURROGATE
    body = json.dumps(payload).encode()  # ensure_ascii: the surrogate travels as the JSON escape \ud800
    response = await offline_gateway.post("/webhooks/docusign", content=body,
                                          headers=sign("docusign", body, "plain", fuzz_sendgrid_key))
    # 400 when the surrogate reaches the event model; 503 when it only feeds the event id (Temporal is offline)
    assert response.status_code in (200, 400, 503), response.status_code
    assert response.json().get("status") != "too_old"  # it did get as far as the event id


@pytest.mark.parametrize("value", [[1], {"a": 1}], ids=["list", "object"])
async def test_f6_sendgrid_event_name_of_the_wrong_type_is_not_500(offline_gateway: httpx.AsyncClient,
                                                                   fuzz_sendgrid_key: SendGridKey,
                                                                   value: object) -> None:
    """``mail_event`` checks ``kind not in PROBLEM_EVENTS`` (a frozenset) with whatever ``event`` holds; a list
    or object is unhashable → ``TypeError`` → 500, and SendGrid resends the whole batch forever. Fix:
    ``if not isinstance(kind, str) or kind not in PROBLEM_EVENTS: return None``."""
    body = json.dumps([{"event": value, "sg_event_id": "sg-1", "case_id": "JIM-2026-0001"}]).encode()
    response = await offline_gateway.post("/webhooks/sendgrid", content=body,
                                          headers=sign("sendgrid", body, "plain", fuzz_sendgrid_key))
    assert response.status_code == 200, response.status_code


async def test_f7_stripe_future_timestamp_check_cannot_be_sidestepped(offline_gateway: httpx.AsyncClient) -> None:
    """``verify`` refuses genuinely signed headers dated in the future (so a pre-dated capture cannot be
    replayed later). Stripe reads the FIRST item named exactly ``t``; ``_header_timestamp`` strips spaces
    and reads the first ``t`` it finds, so prefixing `` t=1,`` to a captured future-dated header makes our
    check look at 1970 while Stripe verifies the real (future) timestamp: the replay gets through (503
    here only because Temporal is offline; 200 in production). Fix: parse the header once, strictly
    (exactly one ``t``, digits only, no whitespace), and use that value for both checks, or refuse any
    header whose items do not all match ``^(t|v\\d+)=[0-9a-f]+$``."""
    body = json.dumps({"id": "evt_future", "object": "event", "type": "invoice.paid", "data": {"object": {
        "id": "in_1", "metadata": {"workflow_id": "case-JIM-2026-0001"}}}}).encode()
    future = int(time.time()) + 3_600
    digest = hmac.new(STRIPE_SECRET.encode(), f"{future}.".encode() + body, hashlib.sha256).hexdigest()
    genuine = f"t={future},v1={digest}"
    assert (await offline_gateway.post("/webhooks/stripe", content=body,
                                       headers={"Stripe-Signature": genuine})).status_code == 400
    response = await offline_gateway.post("/webhooks/stripe", content=body,
                                          headers={"Stripe-Signature": f" t=1,{genuine}"})
    assert response.status_code in (400, 401), response.status_code  # refused either way, never accepted


# --------------------------------------- F8: signal models accept text that can never be sent to Temporal
_ADVOCATE = {"id": "ADV-1", "name": "Dana", "organization": "Law", "email": "dana@whitfield-law.example.com",
             "country": "US"}


@pytest.mark.parametrize(("model", "fields"), [
    (MailEvent, {"event_id": "sg-1", "kind": "bounce", "message_kind": SURROGATE}),
    (MailEvent, {"event_id": "sg-1", "kind": "bounce", "role": SURROGATE}),
    (EnvelopeEvent, {"event_id": "e-1", "envelope_id": "env-1", "kind": "sent", "recipient_id": SURROGATE}),
    (AgreementRequest, {"case_workflow_id": SURROGATE, "case_id": "JIM-2026-0001", "advocate": _ADVOCATE}),
], ids=["mail-message_kind", "mail-role", "envelope-recipient_id", "agreement-case_workflow_id"])
def test_f8_signal_models_refuse_text_they_cannot_serialize(model: type[BaseModel], fields: dict[str, object]) -> None:
    """pydantic checks that a ``str`` is valid Unicode only when the field has a constraint: unconstrained
    ``str`` fields (``MailEvent.message_kind`` / ``role``, ``EnvelopeEvent.recipient_id``,
    ``AgreementRequest.case_workflow_id`` / ``case_id``, ``AgreementSigned.envelope_id``) accept a lone
    surrogate that ``model_dump_json`` then cannot encode, so the signal fails in the gateway's converter →
    ``SignalOutcome.FAILED`` → 500, retried by the provider forever. Fix: give every ``str`` in
    ``casefac/events.py`` a ``max_length`` (ids 100, ``message_kind`` 60, ``role`` 20), which also bounds their
    size; the gateway's existing ``ValidationError`` paths then ignore the event or answer 400."""
    with pytest.raises(ValueError):
        model.model_validate(fields)


async def test_f8_sendgrid_batch_with_unencodable_text_is_not_500(fuzz_temporal: Client, fuzz_settings: Settings,
                                                                  fuzz_sendgrid_key: SendGridKey) -> None:
    """F8 end to end, with Temporal reachable: the whole SendGrid batch gets 500 and comes back forever."""
    async def reachable() -> Client:
        return fuzz_temporal

    body = json.dumps([{"event": "bounce", "sg_event_id": "sg-1", "case_id": "JIM-2026-0001",
                        "kind": SURROGATE}]).encode()
    transport = httpx.ASGITransport(app=create_app(fuzz_settings, reachable), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        response = await http.post("/webhooks/sendgrid", content=body,
                                   headers=sign("sendgrid", body, "plain", fuzz_sendgrid_key))
    assert response.status_code == 200, (response.status_code, response.text)
