"""A case record built by hand, with every kind of fact and known sensitive strings to hunt for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from casefac.case import CaseRequest, CaseStage, MatterType
from casefac.case import Client as CaseClient
from casefac.contract import ContractRevision, ContractTerms, TaskSpec
from casefac.evaluation import Evaluation, Outcome, OutcomeResult
from casefac.messages import CancelCase
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor, Advocate, Defender, Role, Service
from casefac.pricing import PricedLine, PricedReport
from casefac.record import CaseRecord, build_record
from casefac.report import Adjustment, ExpenseLine, HourExpenseReport, HourLine, ReportKind, SubmittedReport
from casefac.state import (
    AgreementStatus,
    ApprovedReport,
    AttentionEpisode,
    CaseState,
    EnvelopeState,
    InvoiceState,
    InvoiceStatusChange,
    Offer,
    PayoutState,
    StageChange,
    TaskState,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
STAFF = Actor(role=Role.STAFF, id="coord.ana")

#: Strings that must never appear in the clear in the database.
SECRETS = ("Rosa Ixchel Coc", "Cobán, Alta Verapaz", "via her cousin Marta", "threatened by a local gang",
           "Met the client in the market", "Bus fare to Cobán", "Dana Whitfield", "dana@whitfield-law.example.com",
           "Ana Lucía Pérez", "Excellent, discreet work", "The asylum officer granted", "Courtesy discount",
           "Call from the cousin")


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def request(case_id: str = "JIM-2026-0042") -> CaseRequest:
    return CaseRequest(
        case_id=case_id,
        advocate=Advocate(id="ADV-0042", name="Dana Whitfield", organization="Whitfield Immigration Law",
                          email="dana@whitfield-law.example.com", country="US"),
        client=CaseClient(full_name="Rosa Ixchel Coc", date_of_birth=date(1990, 5, 17),
                          last_known_location="Cobán, Alta Verapaz", contact_notes="via her cousin Marta"),
        country="GT", matter_type=MatterType.PROTECTION,
        services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
        description="Her asylum claim says she was threatened by a local gang; we need her birth certificate.",
        budget_cap=Money(amount=150000, currency="USD"), opened_by=STAFF)


DEFENDER = Defender(id="DEF-GT-001", name="Ana Lucía Pérez", email="ana@defensores.example.org", country="GT",
                    services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                    hourly_rate=Money(amount=4000, currency="USD"), organization="Defensoría Maya")

REPORT = HourExpenseReport(
    kind=ReportKind.FINAL,
    hours=[HourLine(date=date(2026, 3, 20), hours=Decimal("3.5"), task_code="L110", activity_code="A106",
                    description="Met the client in the market"),
           HourLine(date=date(2026, 3, 21), hours=Decimal("1.5"), task_code="L120", activity_code="A104",
                    description="Requested the birth certificate")],
    expenses=[ExpenseLine(date=date(2026, 3, 20), amount=Money(amount=25000, currency="GTQ"), expense_code="E109",
                          description="Bus fare to Cobán")])
RATES = [ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))]
# 5.0 h × USD 40.00 = USD 200.00; GTQ 250.00 × 0.13 = USD 32.50; less USD 10.00 courtesy discount.
PRICED = PricedReport(
    invoice_lines=[PricedLine(description="Met the client in the market", amount=Money(amount=14000, currency="USD"),
                              code="L110"),
                   PricedLine(description="Requested the birth certificate",
                              amount=Money(amount=6000, currency="USD"), code="L120"),
                   PricedLine(description="Bus fare to Cobán", amount=Money(amount=3250, currency="USD"), code="E109",
                              source=Money(amount=25000, currency="GTQ")),
                   PricedLine(description="Courtesy discount", amount=Money(amount=-1000, currency="USD"),
                              code="ADJ")],
    invoice_total=Money(amount=22250, currency="USD"), payout_total=Money(amount=23250, currency="USD"))


def closed_state() -> CaseState:
    """A case from request to CLOSED: every fact the record keeps is there once."""
    terms = ContractTerms(scope="Locate the client and obtain her birth certificate.",
                          tasks=[TaskSpec(id="T1", service=Service.LOCATE_CLIENT, description="Locate the client"),
                                 TaskSpec(id="T2", service=Service.DOCUMENT_COLLECTION,
                                          description="Obtain the birth certificate")],
                          hourly_rate=Money(amount=4000, currency="USD"), hours_cap=20)
    rev1 = ContractRevision(number=1, terms=terms, author=STAFF, created_at=at(1))
    rev2 = ContractRevision(number=2, terms=terms.model_copy(update={"hours_cap": 12}),
                            author=Actor(role=Role.ADVOCATE, id="ADV-0042"), created_at=at(2),
                            approvals=[Role.DEFENDER, Role.STAFF])
    stages = [(CaseStage.AGREEMENT, 1), (CaseStage.ASSIGNMENT, 4), (CaseStage.PAYMENT, 19.5),
              (CaseStage.EVALUATION, 21), (CaseStage.CLOSED, 30)]
    return CaseState(
        stage=CaseStage.CLOSED, opened_at=T0, defender=DEFENDER,
        offers=[Offer(defender_id="DEF-GT-002", offered_at=at(0.2), result="declined", reason="I am travelling"),
                Offer(defender_id="DEF-GT-001", offered_at=at(0.5), result="accepted")],
        agreement=AgreementStatus(status="signed", envelope_id="agr-1", signed_at=at(2.5)),
        revisions=[rev1, rev2], advocate_completed=True,
        envelope=EnvelopeState(envelope_id="env-42", revision=2, status="completed", signed=["1", "2", "3"]),
        tasks=[TaskState(id="T1", description="Locate the client", status="done", notes=["Call from the cousin"],
                         updated_at=at(10)),
               TaskState(id="T2", description="Obtain the birth certificate", status="done", updated_at=at(18))],
        reports=[SubmittedReport(number=1, report=REPORT, submitted_by=Actor(role=Role.DEFENDER, id="DEF-GT-001"),
                                 status="approved", submitted_at=at(19.5))],
        approved=[ApprovedReport(number=1, priced=PRICED, exchange_rates=RATES,
                                 adjustments=[Adjustment(description="Courtesy discount",
                                                         amount=Money(amount=-1000, currency="USD"))],
                                 approved_by="staff:coord.ana", approved_at=at(21))],
        invoices=[InvoiceState(report_number=1, invoice_id="in_42", number="0396E41C-0001", status="paid",
                               amount_due=Money(amount=22250, currency="USD"), issued_at=at(21),
                               due_date=date(2026, 4, 22), paid_at=at(25),
                               history=[InvoiceStatusChange(status="open", at=at(21)),
                                        InvoiceStatusChange(status="paid", at=at(25))])],
        payouts=[PayoutState(report_number=1, method="stripe_connect", amount=Money(amount=23250, currency="USD"),
                             status="paid", reference="tr_42", requested_at=at(21), paid_at=at(21))],
        evaluations={"advocate": Evaluation(communication=5, quality=5, timeliness=4, overall=5, would_work_again=True,
                                            comments="Excellent, discreet work"),
                     "defender": Evaluation(communication=4, quality=4, timeliness=4, overall=4,
                                            would_work_again=True)},
        evaluated_at={"advocate": at(22), "defender": at(23)},
        outcome=Outcome(result=OutcomeResult.GRANTED, decided_on=date(2026, 3, 30),
                        notes="The asylum officer granted protection"),
        outcome_at=at(29),
        attention_log=[AttentionEpisode(step="invoice for report 1", error_type="StripeRejected",
                                        message="customer email invalid", since=at(21), resolved_at=at(21.2))],
        stage_changes=[StageChange(stage=s, at=at(d)) for s, d in stages],
        record_seq=9)


def closed_record(seq: int = 9, *, case_id: str = "JIM-2026-0042", origin: str = "run-1") -> CaseRecord:
    return build_record(request(case_id), closed_state(), seq=seq, origin=origin, workflow_id=f"case-{case_id}",
                        recorded_at=at(30),
                        ledes={1: "LEDES1998B[]\r\nINVOICE_DATE|...|Met the client in the market[]"})


def cancelled_record(seq: int, *, case_id: str = "JIM-2026-0043") -> CaseRecord:
    state = CaseState(stage=CaseStage.CANCELLED, opened_at=T0,
                      cancel=CancelCase(actor=STAFF, reason="The client withdrew"),
                      stage_changes=[StageChange(stage=CaseStage.CANCELLED, at=at(3))])
    return build_record(request(case_id), state, seq=seq, origin="run-c", workflow_id=f"case-{case_id}",
                        recorded_at=at(3), ledes={})
