"""N synthetic case records with a fixed seed: the report's benchmark and its consistency test.

Each case is simulated through its stages (Review → Agreement → Assignment → Payment → Evaluation → CLOSED,
or DECLINED / CANCELLED on the way) from an opening time spread over the period and a little before it,
and stopped at ``as_of``: whatever had not happened by then does not exist yet (the stage it was in has no
``left_at``, the invoice is still open, the payout pending). Spreads are shaped after JiM's caseload: most
cases in Mexico and Guatemala, Canadian Advocates billed in CAD, Defenders paid in USD or their currency.

While generating it counts what the report should find (:class:`Totals`), from the construction itself and
never by querying, so a test can hold the report's figures against them. Rows go in through Core
``insert()`` with lists of dicts, a batch of cases at a time; sealed columns hold real :class:`Sealer`
output of fake names and text. Tables the report never reads (tasks, priced lines, expenses, LEDES files,
attention episodes) are left empty.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert

from casefac.evaluation import OutcomeResult
from records.models import (
    AdvocateRow,
    ApprovalRow,
    AssignmentOfferRow,
    CaseRow,
    CaseServiceRow,
    ContractRevisionRow,
    DefenderRow,
    EvaluationRow,
    HourLineRow,
    InvoiceRow,
    InvoiceStatusRow,
    PayoutRow,
    ReportRow,
    StageChangeRow,
)
from records.reports.names import name_where
from records.reports.period import Period
from records.sealing import Sealer
from records.vocabulary import OUTCOME_CLOSING_CODES

SEED = 2026
COUNTRY_WEIGHTS = {"MX": 40, "GT": 25, "HN": 15, "SV": 12, "NI": 8}
LOCAL_CURRENCY = {"MX": "MXN", "GT": "GTQ", "SV": "USD", "HN": "HNL", "NI": "NIO"}
#: USD per unit, as staff would approve them (Decimal text in the record; a float is fine for fake data).
USD_PER = {"USD": 1.0, "CAD": 0.73, "MXN": 0.058, "GTQ": 0.13, "HNL": 0.040, "NIO": 0.027}
SERVICES = ("locate_client", "facilitate_communication", "settlement_coordination", "witness_affidavit",
            "document_collection", "service_of_process")
SERVICE_WEIGHTS = (30, 25, 8, 15, 17, 5)
PROBLEM_CODES = ("81", "81", "81", "81", "81", "81", "86", "85", "37", "22")
OUTCOMES = ("granted", "denied", "settled", "dismissed", "withdrawn", "pending_appeal", "other", "unknown")
OUTCOME_WEIGHTS = (40, 15, 10, 8, 5, 7, 5, 10)
ORGANIZATIONS = (
    "Immigrant Legal Resource Center", "Northwest Immigrant Rights Project", "Florence Project",
    "RAICES", "Al Otro Lado", "Kids in Need of Defense", "CLINIC", "Las Americas Advocacy Center",
    "Human Rights First", "Tahirih Justice Center", "Capital Area Immigrants' Rights Coalition",
    "Centre for Refugee Studies Legal Aid", "FCJ Refugee Centre", "Legal Aid Ontario Refugee Law Office",
    "Clinique juridique de Montréal", "Southern Poverty Law Center", "Asylum Seeker Advocacy Project",
    "Texas Civil Rights Project", "Catholic Charities Legal Services", "Public Counsel",
)
FIRST = ("Ana", "Luis", "María", "José", "Carmen", "Jorge", "Lucía", "Carlos", "Rosa", "Miguel", "Elena",
         "Pedro", "Sofía", "Juan", "Isabel", "Diego", "Paula", "Andrés", "Marta", "Raúl", "Emily", "Daniel",
         "Sarah", "Michael", "Claire", "David", "Rachel", "Samuel", "Julie", "Ethan")
LAST = ("García", "Hernández", "López", "Martínez", "Pérez", "González", "Rodríguez", "Sánchez", "Ramírez",
        "Cruz", "Flores", "Morales", "Reyes", "Jiménez", "Ortiz", "Castillo", "Mejía", "Alvarado", "Smith",
        "Johnson", "Tremblay", "Nguyen", "Roy", "Miller", "Cohen", "Wilson")
HOUR_TASKS = ("L110", "L120", "L140", "L160", "L310")
HOUR_ACTIVITIES = ("A101", "A102", "A104", "A106", "A107")

Counts = dict[str, list[int]]  # value -> [opened, closed, open at end]


@dataclass
class Totals:
    """What the report over ``period`` should show, counted while generating (construction, not queries)."""

    period: Period
    as_of: datetime
    cases: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    by: dict[str, Counts] = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])))
    timed_stages: Counter[str] = field(default_factory=Counter)
    stages_in_progress: int = 0
    closed_cases: int = 0
    approved_reports: int = 0
    approved_hours_tenths: int = 0
    hours_by_defender: Counter[str] = field(default_factory=Counter)
    payouts_paid: Counter[str] = field(default_factory=Counter)
    payout_amounts: Counter[str] = field(default_factory=Counter)
    payout_usd: int = 0
    payouts_without_usd: int = 0
    invoices: Counter[str] = field(default_factory=Counter)
    invoiced: Counter[str] = field(default_factory=Counter)
    invoice_paid: Counter[str] = field(default_factory=Counter)
    invoiced_usd: int = 0
    invoice_paid_usd: int = 0
    invoices_without_usd: int = 0
    outcomes: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    closing_codes: Counter[str | None] = field(default_factory=Counter)
    #: Offers made in the period, by result (accepted, declined, no_answer).
    offers: Counter[str] = field(default_factory=Counter)
    evaluations: int = 0
    evaluation_overall: int = 0
    would_work_again: int = 0

    def opened(self, dimension: str) -> dict[str, int]:
        return {k: v[0] for k, v in self.by[dimension].items() if v[0]}

    def closed(self, dimension: str) -> dict[str, int]:
        return {k: v[1] for k, v in self.by[dimension].items() if v[1]}

    def open_at_end(self, dimension: str) -> dict[str, int]:
        return {k: v[2] for k, v in self.by[dimension].items() if v[2]}


@dataclass
class _Batch:
    """Rows of the cases being built, by table; flushed to the database every ``batch_size`` cases."""

    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, model: Any, **values: Any) -> None:
        self.rows[model.__table__].append(values)


class _World:
    """The parties and the random source every case draws from."""

    def __init__(self, rng: random.Random, sealer: Sealer, cases: int) -> None:
        self.rng = rng
        self.sealer = sealer
        self.advocates = self._advocates(max(20, cases // 30))
        self.defenders = self._defenders(max(15, cases // 120))
        self.defenders_in: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in self.defenders:
            self.defenders_in[d["country"]].append(d)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {self.rng.choice(LAST)}"

    def _advocates(self, n: int) -> list[dict[str, Any]]:
        rows = []
        for i in range(1, n + 1):
            advocate_id = f"ADV-{i:05d}"
            organization = self.rng.choice(ORGANIZATIONS)
            canadian = any(w in organization for w in ("Centre", "Ontario", "Montréal"))
            name = self.name()
            rows.append({"advocate_id": advocate_id, "organization": organization,
                         "country": "CA" if canadian else "US",
                         "language": "fr" if "Montréal" in organization else "en",
                         "name_sealed": self.sealer.seal(name, where=name_where("advocates"), case_id=advocate_id),
                         "email_sealed": self.sealer.seal(f"adv{i}@example.org", where="advocates.email",
                                                          case_id=advocate_id)})
        return rows

    def _defenders(self, n: int) -> list[dict[str, Any]]:
        rows = []
        countries = list(COUNTRY_WEIGHTS)
        for i in range(1, n + 1):
            country = countries[i % len(countries)] if i <= len(countries) else self._country()
            defender_id = f"DEF-{country}-{i:04d}"
            rows.append({"defender_id": defender_id, "country": country,
                         "organization": self.rng.choice((None, "Colectivo de Derechos Humanos", "Red Jesuita")),
                         "language": "es",
                         "name_sealed": self.sealer.seal(self.name(), where=name_where("defenders"),
                                                         case_id=defender_id),
                         # the payout currency this Defender is paid in (not a column: used to build payouts)
                         "_currency": LOCAL_CURRENCY[country] if self.rng.random() < 0.6 else "USD"})
        return rows

    def _country(self) -> str:
        return self.rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]

    def days(self, low: float, typical: float, high: float) -> timedelta:
        """A duration shaped like the real ones: mostly near ``typical``, a long tail towards ``high``."""
        value = self.rng.triangular(low, high, typical)
        return timedelta(seconds=round(value * 86_400))


def _in(period: Period, at: datetime | None) -> bool:
    return at is not None and period.starts_at <= at < period.ends_before


def _usd(world: _World, amount: int, currency: str) -> int | None:
    """USD at the approved rate; about one in twenty foreign amounts had no approved rate (NULL)."""
    if currency == "USD":
        return amount
    if world.rng.random() < 0.05:
        return None
    return round(amount * USD_PER[currency])


class _Case:
    """One simulated case: builds its rows into the batch and adds what it contributes to the totals."""

    def __init__(self, world: _World, batch: _Batch, totals: Totals, number: int, opened_at: datetime) -> None:
        self.w, self.batch, self.totals = world, batch, totals
        self.case_id = f"JIM-{opened_at.year}-{number:06d}"
        self.opened_at = opened_at
        self.country = world._country()
        self.advocate = world.rng.choice(world.advocates)
        self.currency = "CAD" if self.advocate["country"] == "CA" else "USD"
        self.stages: list[tuple[str, datetime]] = []
        self.defender: dict[str, Any] | None = None
        self.closed_at: datetime | None = None
        self.fields: dict[str, Any] = {}

    def seal(self, value: str, where: str) -> str:
        return self.w.sealer.seal(value, where=where, case_id=self.case_id)

    def enter(self, stage: str, at: datetime) -> bool:
        """Enter ``stage`` at ``at`` if that happened by ``as_of``; False: the case stopped before it."""
        if at > self.totals.as_of:
            return False
        self.stages.append((stage, at))
        if stage in ("CLOSED", "DECLINED", "CANCELLED"):
            self.closed_at = at
        return True

    def simulate(self) -> None:
        w, t = self.w, self.opened_at
        if not self.enter("REVIEW", t):
            return
        t += w.days(0.1, 2, 14)
        if w.rng.random() < 0.08:
            if self.enter("DECLINED", t):
                self.fields["declined_reason_sealed"] = self.seal("Outside JiM's mandate.",
                                                                  "cases.declined_reason")
            return
        if not self.enter("AGREEMENT", t):
            return
        t += w.days(0.5, 4, 30)
        if w.rng.random() < 0.04:
            self._cancel(t, work_done=False)
            return
        if not self.enter("ASSIGNMENT", t):
            return
        self._offers(t)
        work = w.days(5, 30, 120)
        if w.rng.random() < 0.03:
            self._cancel(t + work / 2, work_done=True)
            return
        interim = w.rng.random() < 0.4
        if interim:
            self._report(1, "interim", t + work / 2)
        approved = self._report(2 if interim else 1, "final", t + work)
        if approved is None or not self.enter("PAYMENT", approved[0]):
            return
        paid_at = approved[1]
        if paid_at is None or not self.enter("EVALUATION", paid_at):
            return
        self._evaluations(paid_at)
        closing = paid_at + w.days(3, 14, 45)
        if self.enter("CLOSED", closing):
            outcome = w.rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS)[0]
            suggested = OUTCOME_CLOSING_CODES[OutcomeResult(outcome)]
            staff = w.rng.random() < 0.3
            self.fields.update(outcome=outcome, outcome_decided_on=closing.date(), closing_code_suggested=suggested,
                               closing_code=(suggested if w.rng.random() < 0.85 else "L") if staff else None,
                               closing_code_set_by="coord.ana" if staff else None,
                               closing_code_set_at=closing if staff else None,
                               outcome_notes_sealed=self.seal("Relief decided; client informed.",
                                                              "cases.outcome_notes")
                               if w.rng.random() < 0.5 else None)

    def _cancel(self, at: datetime, *, work_done: bool) -> None:
        if self.enter("CANCELLED", at):
            self.fields.update(cancelled_by="coord.ana", cancelled_at=at,
                               closing_code_suggested="B" if work_done else "A",
                               cancel_reason_sealed=self.seal("The Advocate withdrew the request.",
                                                              "cases.cancel_reason"))

    def _offers(self, at: datetime) -> None:
        pool = self.w.defenders_in[self.country] or self.w.defenders
        tries = self.w.rng.choice((1, 1, 1, 2, 2, 3))
        for position in range(tries):
            defender = self.w.rng.choice(pool)
            accepted = position == tries - 1
            # about one refusal in four is silence: the offer lapses unanswered (no answered_at)
            result = "accepted" if accepted else "no_answer" if self.w.rng.random() < 0.25 else "declined"
            offered_at = at + timedelta(hours=position)
            answered = None if result == "no_answer" else \
                at + timedelta(hours=self.w.rng.choice((2, 6, 20, 30, 50)) * (position + 1))
            self.batch.add(AssignmentOfferRow, case_id=self.case_id, position=position,
                           defender_id=defender["defender_id"], result=result,
                           offered_at=offered_at, answered_at=answered, reason_sealed=None)
            if _in(self.totals.period, offered_at):
                self.totals.offers[result] += 1
            if accepted:
                self.defender = defender
        rate = self.w.rng.choice((3500, 4000, 4500, 5000, 6000))  # USD cents an hour
        self.fields["rate"] = rate
        self.batch.add(ContractRevisionRow, case_id=self.case_id, number=1, content_hash="0" * 64, author="coord.ana",
                       created_at=at, approvals="staff,advocate", hourly_rate_amount=rate,
                       hourly_rate_currency="USD", hours_cap=400, expense_cap_amount=50_000,
                       expense_cap_currency="USD", envelope_id=None, envelope_status="completed", signed=True,
                       documents_uri=None)

    def _report(self, number: int, kind: str, submitted_at: datetime) -> tuple[datetime, datetime | None] | None:
        """Submit a report; returns (approved at, final invoice paid at) once approved by ``as_of``, else None."""
        w, totals = self.w, self.totals
        if submitted_at > totals.as_of or self.defender is None:
            return None
        lines = [w.rng.randint(5, 60) for _ in range(w.rng.randint(1, 4))]
        hours = sum(lines)
        approved_at = submitted_at + w.days(0.2, 2, 10)
        approved = approved_at <= totals.as_of
        self.batch.add(ReportRow, case_id=self.case_id, number=number, kind=kind,
                       status="approved" if approved else "submitted", submitted_by=self.defender["defender_id"],
                       submitted_at=submitted_at, hours_tenths=hours, note_sealed=None, change_reasons_sealed=None)
        for line, tenths in enumerate(lines, 1):
            self.batch.add(HourLineRow, case_id=self.case_id, report_number=number, line=line,
                           worked_on=(submitted_at - timedelta(days=line)).date(), hours_tenths=tenths,
                           task_code=w.rng.choice(HOUR_TASKS), activity_code=w.rng.choice(HOUR_ACTIVITIES),
                           description_sealed=self.seal("Visited the family; collected documents.",
                                                        f"report_hours.description/{number}/{line}"))
        if not approved:
            return None
        defender_id = self.defender["defender_id"]
        if _in(totals.period, approved_at):
            totals.approved_reports += 1
            totals.approved_hours_tenths += hours
            totals.hours_by_defender[defender_id] += hours
        fee_usd_cents = hours * self.fields["rate"] // 10
        invoice_usd = round(fee_usd_cents * 1.15)
        invoice_amount = invoice_usd if self.currency == "USD" else round(invoice_usd / USD_PER[self.currency])
        payout_currency = self.defender["_currency"]
        payout_amount = round(fee_usd_cents / USD_PER[payout_currency])
        self.batch.add(ApprovalRow, case_id=self.case_id, report_number=number, approved_by="fin.rosa",
                       approved_at=approved_at, exchange_rates=f"{payout_currency}:USD={USD_PER[payout_currency]}",
                       invoice_amount=invoice_amount, invoice_currency=self.currency, payout_amount=payout_amount,
                       payout_currency=payout_currency, adjustments_sealed=None)
        paid_at = self._invoice(number, approved_at, invoice_amount)
        self._payout(number, approved_at, payout_amount, payout_currency)
        return approved_at, paid_at

    def _invoice(self, number: int, issued_at: datetime, amount: int) -> datetime | None:
        w, totals = self.w, self.totals
        issued_at += timedelta(minutes=w.rng.randint(1, 90))
        if issued_at > totals.as_of:
            return None
        roll = w.rng.random()
        paid_at = issued_at + w.days(1, 10, 60) if roll < 0.92 else None
        if paid_at is not None and paid_at > totals.as_of:
            paid_at = None
        status = "paid" if paid_at else ("void" if roll > 0.98 else "uncollectible" if roll > 0.96 else "open")
        usd = _usd(w, amount, self.currency)
        self.batch.add(InvoiceRow, case_id=self.case_id, report_number=number,
                       invoice_id=f"in_{self.case_id.replace('-', '')}{number}", number=f"JIM-{number:04d}",
                       status=status, amount=amount, currency=self.currency, amount_usd=usd, issued_at=issued_at,
                       due_date=(issued_at + timedelta(days=30)).date(), paid_at=paid_at)
        changes = [("open", issued_at)] + ([(status, paid_at or issued_at)] if status != "open" else [])
        for position, (change, at) in enumerate(changes):
            self.batch.add(InvoiceStatusRow, case_id=self.case_id, report_number=number, position=position,
                           status=change, at=at)
        if _in(totals.period, issued_at) and status != "void":
            totals.invoices[self.currency] += 1
            totals.invoiced[self.currency] += amount
            totals.invoiced_usd += usd or 0
            totals.invoices_without_usd += usd is None
            if status == "paid":
                totals.invoice_paid[self.currency] += amount
                totals.invoice_paid_usd += usd or 0
        return paid_at if status == "paid" else None

    def _payout(self, number: int, requested_at: datetime, amount: int, currency: str) -> None:
        w, totals = self.w, self.totals
        paid_at: datetime | None = requested_at + w.days(0.5, 3, 20)
        if paid_at is not None and paid_at > totals.as_of:
            paid_at = None
        usd = _usd(w, amount, currency)
        method = "stripe_connect" if currency == "USD" else "manual"
        assert self.defender is not None
        self.batch.add(PayoutRow, case_id=self.case_id, report_number=number, defender_id=self.defender["defender_id"],
                       method=method, status="paid" if paid_at else "pending", amount=amount, currency=currency,
                       amount_usd=usd,
                       reference_sealed=self.seal(f"tr_{self.case_id[-6:]}{number}", f"payouts.reference/{number}")
                       if paid_at else None,
                       requested_at=requested_at, paid_at=paid_at)
        if _in(totals.period, paid_at):
            totals.payouts_paid[currency] += 1
            totals.payout_amounts[currency] += amount
            totals.payout_usd += usd or 0
            totals.payouts_without_usd += usd is None

    def _evaluations(self, start: datetime) -> None:
        w, totals = self.w, self.totals
        assert self.defender is not None
        for role, chance in (("advocate", 0.85), ("defender", 0.75)):
            submitted_at = start + w.days(0.5, 4, 14)
            if w.rng.random() > chance or submitted_at > totals.as_of:
                continue
            overall = w.rng.choices((1, 2, 3, 4, 5), weights=(2, 3, 10, 35, 50))[0]
            would = overall >= 3 and w.rng.random() < 0.95
            self.batch.add(EvaluationRow, case_id=self.case_id, role=role, defender_id=self.defender["defender_id"],
                           communication=max(1, min(5, overall + w.rng.choice((-1, 0, 0, 1)))),
                           quality=overall, timeliness=max(1, min(5, overall + w.rng.choice((-1, 0, 0, 0)))),
                           overall=overall, would_work_again=would, submitted_at=submitted_at,
                           comments_sealed=self.seal("Very responsive.", f"evaluations.comments/{role}")
                           if w.rng.random() < 0.4 else None)
            if _in(totals.period, submitted_at):
                totals.evaluations += 1
                totals.evaluation_overall += overall
                totals.would_work_again += would

    def finish(self) -> None:
        """The case row and its stage history, and what the case adds to the totals."""
        w, totals, period = self.w, self.totals, self.totals.period
        services = sorted(set(w.rng.choices(SERVICES, weights=SERVICE_WEIGHTS, k=w.rng.choice((1, 1, 2, 2, 3)))))
        for position, service in enumerate(services):
            self.batch.add(CaseServiceRow, case_id=self.case_id, service=service, position=position)
        for position, (stage, entered_at) in enumerate(self.stages):
            left_at = self.stages[position + 1][1] if position + 1 < len(self.stages) else None
            self.batch.add(StageChangeRow, case_id=self.case_id, position=position, stage=stage,
                           entered_at=entered_at, left_at=left_at)
            if _in(period, entered_at) and stage not in ("CLOSED", "DECLINED", "CANCELLED"):
                if left_at is None:
                    totals.stages_in_progress += 1
                else:
                    totals.timed_stages[stage] += 1
        stage = self.stages[-1][0]
        matter = "protection" if w.rng.random() < 0.35 else "rights_violation"
        problem = w.rng.choice(PROBLEM_CODES)
        defender_id = self.defender["defender_id"] if self.defender else None
        client = json.dumps({"full_name": w.name(), "date_of_birth": None, "last_known_location": "",
                             "contact_notes": ""}, ensure_ascii=False)
        self.batch.add(CaseRow, case_id=self.case_id, origin=f"{w.rng.getrandbits(128):032x}",
                       workflow_id=f"case-{self.case_id}", seq=len(self.stages) * 3, recorded_at=self.stages[-1][1],
                       advocate_id=self.advocate["advocate_id"], country=self.country, matter_type=matter,
                       problem_code=problem, opened_at=self.opened_at, opened_by="coord.ana",
                       deadline=(self.opened_at + timedelta(days=120)).date(), budget_cap_amount=None,
                       budget_cap_currency=None, billing_currency=self.currency, stage=stage,
                       closed_at=self.closed_at, defender_id=defender_id,
                       agreement_status="signed" if len(self.stages) > 2 else "pending",
                       agreement_signed_at=self.stages[2][1] if len(self.stages) > 2 else None,
                       outcome=self.fields.get("outcome"), outcome_decided_on=self.fields.get("outcome_decided_on"),
                       outcome_notes_sealed=self.fields.get("outcome_notes_sealed"),
                       closing_code_suggested=self.fields.get("closing_code_suggested"),
                       closing_code=self.fields.get("closing_code"),
                       closing_code_set_by=self.fields.get("closing_code_set_by"),
                       closing_code_set_at=self.fields.get("closing_code_set_at"),
                       cancelled_by=self.fields.get("cancelled_by"), cancelled_at=self.fields.get("cancelled_at"),
                       cancel_reason_sealed=self.fields.get("cancel_reason_sealed"),
                       declined_reason_sealed=self.fields.get("declined_reason_sealed"),
                       client_sealed=self.seal(client, "cases.client"),
                       description_sealed=self.seal("Locate the client's family and obtain a declaration.",
                                                    "cases.description"))
        opened = _in(period, self.opened_at)
        closed = _in(period, self.closed_at)
        still_open = self.opened_at < period.ends_before and (self.closed_at is None
                                                               or self.closed_at >= period.ends_before)
        flags = (opened, closed, still_open)
        for dimension, values in (("country", [self.country]), ("matter_type", [matter]), ("problem_code", [problem]),
                                  ("service", services), ("all", ["all"])):
            for value in values:
                counts = totals.by[dimension][value]
                for i, flag in enumerate(flags):
                    counts[i] += flag
        if closed:
            totals.closed_cases += 1
            totals.outcomes[(stage, self.fields.get("outcome"))] += 1
            totals.closing_codes[self.fields.get("closing_code") or self.fields.get("closing_code_suggested")] += 1
        totals.cases += 1


def default_period(year: int = 2025) -> tuple[Period, datetime]:
    """A whole past year, seen six weeks after it ended: some cases closed after the period, some still open."""
    return Period(date(year, 1, 1), date(year, 12, 31)), datetime(year + 1, 2, 14, tzinfo=UTC)


def generate(target: Engine | Connection, cases: int, sealer: Sealer, *, seed: int = SEED,
             period: Period | None = None, as_of: datetime | None = None, batch_size: int = 2_000,
             on_batch: Callable[[int], None] | None = None) -> Totals:
    """Insert ``cases`` synthetic cases and their parties, opened from four months before ``period`` to ``as_of``.

    ``target`` must hold an empty, migrated record. Same seed, same figures (the sealed values differ: every
    seal has a fresh nonce). ``on_batch`` is told how many cases are in so far.
    """
    if period is None:
        period, default_as_of = default_period()
        as_of = as_of or default_as_of
    as_of = as_of or period.ends_before
    if isinstance(target, Engine):
        with target.begin() as conn:
            return generate(conn, cases, sealer, seed=seed, period=period, as_of=as_of, batch_size=batch_size,
                            on_batch=on_batch)
    rng = random.Random(seed)
    world = _World(rng, sealer, cases)
    totals = Totals(period=period, as_of=as_of)
    target.execute(insert(AdvocateRow.__table__), world.advocates)
    target.execute(insert(DefenderRow.__table__),
                   [{k: v for k, v in d.items() if not k.startswith("_")} for d in world.defenders])
    totals.rows["advocates"] += len(world.advocates)
    totals.rows["defenders"] += len(world.defenders)
    first = period.starts_at - timedelta(days=120)
    span = (as_of - first).total_seconds()
    openings = sorted(first + timedelta(seconds=round(rng.random() * span)) for _ in range(cases))
    batch = _Batch()
    for number, opened_at in enumerate(openings, 1):
        case = _Case(world, batch, totals, number, opened_at)
        case.simulate()
        case.finish()
        if number % batch_size == 0 or number == cases:
            _flush(target, batch, totals)
            batch = _Batch()
            if on_batch is not None:
                on_batch(number)
    return totals


#: Parents before children, as the foreign keys want them.
_ORDER = [m.__table__ for m in (CaseRow, CaseServiceRow, StageChangeRow, AssignmentOfferRow, ContractRevisionRow,
                                ReportRow, HourLineRow, ApprovalRow, InvoiceRow, InvoiceStatusRow, PayoutRow,
                                EvaluationRow)]


def _flush(conn: Connection, batch: _Batch, totals: Totals) -> None:
    for table in _ORDER:
        rows = batch.rows.get(table)
        if rows:
            conn.execute(insert(table), rows)
            totals.rows[table.name] += len(rows)
