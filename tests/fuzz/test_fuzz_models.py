"""Pure model fuzzing (no servers): parsing, JSON round trips, money and pricing arithmetic.

Why here and not only in the workflow fuzz: these run thousands of examples in seconds, so the rules every
update and signal relies on (``rules.parse`` names the problem; money is integers; priced lines add up)
get far more coverage than a live case can afford.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from casefac import ledes
from casefac.contract import ContractTerms
from casefac.events import AgreementRequest, AgreementSigned, EnvelopeEvent, InvoiceEvent, MailEvent
from casefac.messages import RecordPayout, ReviewReport, SubmitReport
from casefac.money import CURRENCIES, EXPONENT, MAX_MINOR, ExchangeRate, Money
from casefac.pricing import missing_rates, price_report
from casefac.report import Adjustment, ExpenseLine, HourExpenseReport, HourLine, ReportKind
from casefac.state import ApprovedReport
from casefac.utbms import ACTIVITY_CODES, EXPENSE_CODES, TASK_CODES
from tests.fuzz import strategies as fz
from tests.fuzz.profiles import fuzz
from tests.fuzz.props import UPDATE_MODELS, assert_rule_message
from workflows import rules

#: Hypothesis warns when it prints a multi-megabyte falsifying example; printing it is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

#: What the running case would fill in; any consistent values will do for pure parsing.
STATIC_REFS: dict[str, Any] = {
    "advocate_id": lambda k: "ADV-FUZZ-1",
    "defender_id": lambda k: "DEF-GT-001",
    "revision": lambda k: 1 + k,
    "report_number": lambda k: 1 + k,
    "task_id": lambda k: f"T{1 + abs(k)}",
    "payout_amount": lambda k: {"amount": 12_250 + k, "currency": "USD"},
    **fz.day_resolver(date(2026, 3, 1), date(2026, 2, 1)),
}


def parse_or_explain(model: type[BaseModel], payload: Any) -> BaseModel | None:
    """``rules.parse`` either returns a model that survives a JSON round trip or names field and rule."""
    try:
        parsed = rules.parse(model, payload)
    except ValueError as err:
        assert_rule_message(str(err))
        return None
    try:
        text = parsed.model_dump_json()
    except PydanticSerializationError as err:  # accepted, yet it could never be sent as a payload
        raise AssertionError(f"{model.__name__} accepted a value it cannot serialize: {err}") from None
    assert model.model_validate_json(text) == parsed
    return parsed


@fuzz(5)
@given(fz.named_update_payloads())
def test_update_payloads_parse_or_name_field_and_rule(named: tuple[str, Any]) -> None:
    """Every validator starts with ``rules.parse``: what it lets through must be a stable model, what it
    refuses must be explained in a line a person can act on."""
    name, raw = named
    parse_or_explain(UPDATE_MODELS[name], fz.resolve(raw, STATIC_REFS))


SIGNAL_STRATEGIES: list[tuple[type[BaseModel], st.SearchStrategy[Any]]] = [
    (EnvelopeEvent, fz.envelope_event), (InvoiceEvent, fz.invoice_event), (MailEvent, fz.mail_event),
    (AgreementRequest, fz.agreement_request), (AgreementSigned, fz.agreement_signed),
]


@fuzz(3)
@given(st.sampled_from(SIGNAL_STRATEGIES).flatmap(
    lambda pair: st.tuples(st.just(pair[0]), fz.hostile_variants(pair[1]))))
def test_signal_payloads_parse_or_name_field_and_rule(case: tuple[type[BaseModel], Any]) -> None:
    """Signals are built by the gateway from provider JSON; the same guarantees keep a bad one explainable."""
    model, payload = case
    parse_or_explain(model, payload)


# ------------------------------------------------------------------------------------------ money
integral_floats = st.integers(-MAX_MINOR, MAX_MINOR).map(float)
non_money = st.one_of(integral_floats, st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                      st.integers(-MAX_MINOR, MAX_MINOR).map(str), st.decimals(allow_nan=False).map(str))


def _money_in_context(where: str, amount: Any, currency: str) -> tuple[type[BaseModel], Any]:
    """A payload whose only problem is ``amount`` in one of the places money travels."""
    money = {"amount": amount, "currency": currency}
    line = {"date": "2026-03-01", "expense_code": "E109", "description": "Bus", "amount": money}
    actor = {"role": "defender", "id": "DEF-GT-001"}
    staff = {"role": "staff", "id": "coord.ana"}
    return {
        "money": (Money, money),
        "expense": (SubmitReport, {"actor": actor, "report": {"kind": "final", "expenses": [line]}}),
        "payout": (RecordPayout, {"actor": staff, "report_number": 1, "amount": money, "reference": "wire 1",
                                  "paid_on": "2026-03-01"}),
        "adjustment": (ReviewReport, {"actor": staff, "report_number": 1, "decision": "approve",
                                      "adjustments": [{"description": "discount", "amount": money}]}),
        "hourly_rate": (ContractTerms, {"scope": "s", "tasks": [{"id": "T1", "service": "locate_client",
                                                                 "description": "d"}], "hourly_rate": money}),
    }[where]


@fuzz(4)
@given(where=st.sampled_from(["money", "expense", "payout", "adjustment", "hourly_rate"]), amount=non_money,
       currency=st.sampled_from(CURRENCIES), as_json=st.booleans())
def test_money_never_accepts_floats_strings_or_bools(where: str, amount: Any, currency: str, as_json: bool) -> None:
    """Money is integer minor units: 12.0, "12", True are all refused, however they arrive."""
    model, payload = _money_in_context(where, amount, currency)
    with pytest.raises(ValueError) as err:
        if as_json:
            # NaN/Infinity are JSON extensions pydantic refuses outright; the point is only that nothing passes
            model.model_validate_json(fz.encode(payload))
        else:
            rules.parse(model, payload)
    assert "amount" in str(err.value)


FORMATTED = re.compile(r"^(?P<cur>[A-Z]{3}) (?P<sign>-?)(?P<major>\d{1,3}(?:,\d{3})*)\.(?P<minor>\d{2})$")


@fuzz(4)
@given(amount=st.integers(-MAX_MINOR, MAX_MINOR), currency=st.sampled_from(CURRENCIES))
def test_money_format_never_crashes_and_reads_back(amount: int, currency: str) -> None:
    """``format`` goes into summaries, emails and the Temporal UI for every amount a case can hold."""
    money = Money(amount=amount, currency=currency)  # type: ignore[arg-type]
    text = money.format()
    match = FORMATTED.match(text)
    assert match, text
    value = int(match["major"].replace(",", "")) * 10 ** EXPONENT[currency] + int(match["minor"])
    assert (-value if match["sign"] else value) == amount and match["cur"] == currency
    assert str(money) == text


# ---------------------------------------------------------------------------------------- pricing
descriptions = st.text(min_size=1, max_size=40)
small_or_any_amount = st.one_of(st.integers(1, 100_000), st.integers(1, MAX_MINOR))
hour_lines = st.builds(HourLine, date=st.dates(), hours=st.integers(1, 240).map(lambda n: Decimal(n) / 10),
                       task_code=st.sampled_from(sorted(TASK_CODES)),
                       activity_code=st.sampled_from(sorted(ACTIVITY_CODES)), description=descriptions)
expense_lines = st.builds(ExpenseLine, date=st.dates(), expense_code=st.sampled_from(sorted(EXPENSE_CODES)),
                          description=descriptions,
                          amount=st.builds(Money, amount=small_or_any_amount, currency=st.sampled_from(CURRENCIES)))
rate_values = st.one_of(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(50), places=4),
                        st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999999.99999999"),
                                    places=8))


@st.composite
def priced_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid report, the contract rate, currencies, adjustments, and a rate for every conversion needed."""
    hours = draw(st.lists(hour_lines, max_size=8))
    expenses = draw(st.lists(expense_lines, min_size=0 if hours else 1, max_size=8))
    report = HourExpenseReport(kind=draw(st.sampled_from(list(ReportKind))), hours=hours, expenses=expenses)
    invoice = draw(st.sampled_from(["USD", "CAD"]))
    payout = draw(st.sampled_from(CURRENCIES))
    hourly = Money(amount=draw(st.one_of(st.integers(1, 20_000), st.integers(1, MAX_MINOR))),
                   currency=draw(st.sampled_from(CURRENCIES)))
    needed = missing_rates(report, [], hourly, invoice, payout)
    rates = [ExchangeRate(source=pair.split("->")[0], target=pair.split("->")[1], rate=draw(rate_values))  # type: ignore[arg-type]
             for pair in needed]
    adjustments = draw(st.lists(st.builds(Adjustment, description=descriptions, amount=st.builds(
        Money, amount=st.integers(-MAX_MINOR, MAX_MINOR), currency=st.just(invoice))), max_size=3))
    return {"report": report, "rates": rates, "adjustments": adjustments, "hourly": hourly, "invoice": invoice,
            "payout": payout}


def _convert(amount: int, source: str, target: str, rates: list[ExchangeRate]) -> int:
    """Independent re-statement of the conversion: half-even to the minor unit."""
    if source == target:
        return amount
    rate = next(r.rate for r in rates if r.source == source and r.target == target)
    return int((Decimal(amount) * rate).quantize(Decimal(1), ROUND_HALF_EVEN))


def _overflows(values: list[int]) -> bool:
    """True when a value or a running sum leaves the ±MAX_MINOR range ``Money`` enforces."""
    running = 0
    for v in values:
        running += v
        if abs(v) > MAX_MINOR or abs(running) > MAX_MINOR:
            return True
    return False


@fuzz(5)
@given(priced_inputs())
def test_price_report_lines_sum_to_the_total(inp: dict[str, Any]) -> None:
    """With complete rates pricing either adds up exactly, or refuses only because the sum exceeds MAX_MINOR."""
    report, rates, hourly = inp["report"], inp["rates"], inp["hourly"]
    invoice, payout = inp["invoice"], inp["payout"]
    costs = [int((Decimal(hourly.amount) * h.hours).quantize(Decimal(1), ROUND_HALF_EVEN)) for h in report.hours]
    invoice_lines = ([_convert(c, hourly.currency, invoice, rates) for c in costs]
                     + [_convert(e.amount.amount, e.amount.currency, invoice, rates) for e in report.expenses]
                     + [a.amount.amount for a in inp["adjustments"]])
    payout_lines = ([_convert(c, hourly.currency, payout, rates) for c in costs]
                    + [_convert(e.amount.amount, e.amount.currency, payout, rates) for e in report.expenses])
    overflow = (any(abs(c) > MAX_MINOR for c in costs) or _overflows(invoice_lines)
                or _overflows(payout_lines))
    try:
        priced = price_report(report, rates, inp["adjustments"], hourly, invoice, payout)
    except ValidationError:
        assert overflow, "pricing refused a report whose amounts all fit"
        return
    assert not overflow, "pricing accepted amounts beyond MAX_MINOR"
    assert [ln.amount.amount for ln in priced.invoice_lines] == invoice_lines
    assert sum(ln.amount.amount for ln in priced.invoice_lines) == priced.invoice_total.amount
    assert {ln.amount.currency for ln in priced.invoice_lines} <= {invoice}
    assert priced.invoice_total.currency == invoice and priced.payout_total.currency == payout
    assert priced.payout_total.amount == sum(payout_lines)
    # The workflow attaches a LEDES file built from the same numbers; it must agree with the invoice.
    approved = ApprovedReport(number=1, priced=priced, exchange_rates=rates, adjustments=inp["adjustments"],
                              approved_by="staff:coord.ana", approved_at=datetime(2026, 3, 1, tzinfo=UTC))
    file = ledes.attachment(ledes.LedesInvoice(
        case_id="JIM-2026-0001", invoice_number="INV-1", invoice_date=date(2026, 3, 1), client_id="ADV-1",
        report=report, approved=approved, hourly_rate=hourly, timekeeper_id="DEF-GT-001"))
    assert file.filename == "JIM-2026-0001-report-1.ledes.txt"
