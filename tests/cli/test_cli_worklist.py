"""``casefac today`` (staff) and ``casefac money`` (finance) on live cases, and ``list``'s new filters and columns.

The session's dev server holds every CLI test's cases, so each test looks for its own case ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.keyring import KeyRing
from casefac.money import Money
from casefac.state import AgreementStatus, InvoiceState, PayoutState, Waiting
from casefac.status import CaseStatus, MoneyFigures
from casefac.worklist import Worklist, build
from records.database import create_records_engine, migrate
from records.sealing import Sealer
from records.store import RecordStore
from tests.cli.conftest import CliWorld
from tests.cli.test_cli_case_flow import _in_payment
from tests.conftest import eventually
from tests.records.samples import closed_record
from tests.workflow.harness import Case

STRIPE_SAYS = "No such customer: 'cus_Q1w2E3r4'"


def _status(**changes: Any) -> CaseStatus:
    values: dict[str, Any] = dict(
        case_id="JIM-2026-0042", stage=CaseStage.EVALUATION, country="GT", advocate_id="ADV-1",
        advocate_language="en", defender_id="DEF-GT-002", defender_language="es", waiting=None, attention=None,
        agreement=AgreementStatus(), contract=None, previous_contract=None, advocate_completed=True,
        envelope=None, tasks=[], reports=[], invoices=[], payouts=[], money=MoneyFigures(), evaluations_from=[],
        outcome=None, timeline=[], history_events=10)
    return CaseStatus(**(values | changes))


async def _invoiced(world: CliWorld, defender: str = "DEF-GT-001") -> Case:
    case = await _in_payment(world, defender)
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")
    assert ran.code == 0, ran.text
    await case.until(lambda s: bool(s.invoices) and bool(s.payouts), "invoiced and paid out")
    return case


async def _worklist(world: CliWorld, command: str) -> Worklist:
    ran = await world.cli(command, "--json")
    assert ran.code == 0, ran.text
    return Worklist.model_validate_json(ran.out)


async def test_today_lists_the_review_and_the_attention_with_the_providers_message_and_commands(
        world: CliWorld) -> None:
    review = await world.harness.open()
    await review.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    world.fakes.refuse[ActivityName.ISSUE_INVOICE].append(f"StripeRejected|{STRIPE_SAYS}")
    stuck = await _in_payment(world)
    assert (await world.cli("review-report", stuck.case_id, "--yes", "--rate", "GTQ:USD=0.13")).code == 0
    await stuck.until(lambda s: s.attention is not None, "needs attention")

    ran = await world.cli("today")
    assert ran.code == 0, ran.text
    text = ran.out
    assert "Needs attention" in text and "Waiting on staff" in text
    assert STRIPE_SAYS in text
    assert f'→ casefac retry {stuck.case_id} --note "what you fixed"' in text
    assert f"→ casefac suggest {review.case_id}" in text
    assert text.index(stuck.case_id) < text.index("Waiting on staff") < text.index(review.case_id)

    items = {(i.kind, i.case_id): i for i in (await _worklist(world, "today")).items}
    assert ("review", review.case_id) in items and ("attention", stuck.case_id) in items
    assert ("review", stuck.case_id) not in items  # a case needing attention is listed once, for the fix
    # Money steps needing attention are finance's business too.
    assert ("attention", stuck.case_id) in {(i.kind, i.case_id) for i in (await _worklist(world, "money")).items}


async def test_money_lists_the_manual_payout_with_the_record_payout_command(world: CliWorld) -> None:
    case = await _invoiced(world, "DEF-GT-002")  # paid by manual transfer
    status = await case.status()
    [payout] = status.payouts
    [invoice] = status.invoices
    figure = payout.amount.format().split(" ")[1].replace(",", "")

    ran = await world.cli("money")
    assert ran.code == 0, ran.text
    assert "Payouts to record" in ran.out and payout.amount.format() in ran.out
    assert (f"→ casefac record-payout {case.case_id} --amount {figure} --reference BANK-REF --report 1"
            in ran.out)
    # The fake Stripe dates invoices due in January 2026: this one is overdue already, in its age bucket.
    [unpaid] = [i for i in (await _worklist(world, "money")).items
                if i.case_id == case.case_id and i.kind.startswith("invoice_")]
    assert unpaid.amount == invoice.amount_due.format() and unpaid.detail == invoice.number
    assert ("payout_to_record", case.case_id) not in {(i.kind, i.case_id) for i in
                                                      (await _worklist(world, "today")).items}


async def test_list_filters_on_whom_a_case_waits_for_and_shows_since_currency_and_full_dates(
        world: CliWorld) -> None:
    on_staff = await world.harness.open()
    on_defender = await world.harness.open()
    await on_staff.until(lambda s: s.waiting is not None, "waiting for review")
    await on_defender.until(lambda s: s.waiting is not None, "waiting for review")
    assert (await world.cli("assign", on_defender.case_id, "--defender", "DEF-GT-001")).code == 0

    async def ids(*args: str) -> set[str]:
        ran = await world.cli("list", "--json", *args)
        assert ran.code == 0, ran.text
        return {c["case_id"] for c in json.loads(ran.out)["cases"]}

    staff = await eventually(lambda: ids("--waiting-on", "staff"), lambda found: on_staff.case_id in found,
                             what="listed as waiting on staff")
    assert on_defender.case_id not in staff
    assert on_defender.case_id in await eventually(lambda: ids("--waiting-on", "Defender"),
                                                   lambda found: on_defender.case_id in found, what="on defender")
    table = await world.cli("list", "--waiting-on", "staff")
    today = datetime.now(UTC)
    assert f"staff since {today:%Y-%m-%d}" in table.out and f"{today:%Y-%m-%d}" in table.out
    assert "WorkflowType" not in table.out  # the raw query is for --json


async def test_list_shows_the_invoice_amount_with_its_currency_and_the_payout_status(world: CliWorld) -> None:
    case = await _invoiced(world)
    [invoice] = (await case.status()).invoices

    async def listed() -> str:
        return (await world.cli("list", "--payout-status", "paid", "--invoice-status", "open")).out

    out = await eventually(listed, lambda out: case.case_id in out, what="listed by payout and invoice status")
    assert f"invoice open {invoice.amount_due.format()}" in out and "payout paid" in out


async def test_list_by_advocate_organisation_needs_the_case_record(world: CliWorld) -> None:
    ran = await world.cli("list", "--advocate-org", "Whitfield")
    assert ran.code == 1 and "no Advocate organisation in the case record matches 'Whitfield'" in ran.err


def test_overdue_invoices_fall_in_age_buckets_and_failed_payments_are_listed() -> None:
    now = datetime(2026, 12, 1, 13, tzinfo=UTC)

    def inv(days_overdue: int, status: str = "open") -> InvoiceState:
        due = (now - timedelta(days=days_overdue)).date()
        return InvoiceState(report_number=1, invoice_id=f"in_{days_overdue}", number=f"INV-{days_overdue}",
                            status=status, amount_due=Money(amount=15500, currency="USD"),  # type: ignore[arg-type]
                            issued_at=now - timedelta(days=days_overdue + 30), due_date=due)

    statuses = [_status(case_id=f"JIM-2026-00{n:02d}", invoices=[inv(d)]) for n, d in enumerate((5, 45, 75, 120))]
    statuses.append(_status(case_id="JIM-2026-0099", invoices=[inv(-3, "payment_failed")],
                            payouts=[PayoutState(report_number=1, method="manual",
                                                 amount=Money(amount=15500, currency="USD"),
                                                 requested_at=now - timedelta(days=2))],
                            waiting=Waiting(role="advocate", what="pay", since=now)))
    money = build("finance", statuses, now)
    assert [(i.case_id, i.bucket) for i in money.items if i.kind == "invoice_overdue"] == [
        ("JIM-2026-0003", "90+"), ("JIM-2026-0002", "61-90"), ("JIM-2026-0001", "31-60"), ("JIM-2026-0000", "1-30")]
    assert {i.kind for i in money.items if i.case_id == "JIM-2026-0099"} == {"payout_to_record", "payment_failed"}
    assert [title for title, _ in money.sections()][:2] == ["Payouts to record", "Failed payments"]


async def test_list_by_advocate_organisation_reads_the_ids_from_the_case_record(
        world: CliWorld, cli_keyring: tuple[KeyRing, Path], tmp_path: Path) -> None:
    ring, ring_file = cli_keyring
    engine = create_records_engine(f"sqlite:///{(tmp_path / 'records.sqlite3').resolve()}")
    migrate(engine)
    RecordStore(engine, Sealer(ring)).write(closed_record())  # ADV-0042, Whitfield Immigration Law
    engine.dispose()
    case = await world.harness.open(advocate_id="ADV-0042")
    other = await world.harness.open()
    env = {"CASEFAC_DATA_DIR": str(tmp_path), "CASEFAC_KEYRING_FILE": str(ring_file)}

    async def listed() -> dict[str, Any]:
        ran = await world.cli("list", "--json", "--advocate-org", "whitfield", env=env)
        assert ran.code == 0, ran.text
        return json.loads(ran.out)

    found = await eventually(listed, lambda r: case.case_id in {c["case_id"] for c in r["cases"]},
                             what="listed by the Advocate's organisation")
    assert other.case_id not in {c["case_id"] for c in found["cases"]}
    assert "AdvocateId IN ('ADV-0042')" in found["query"]
