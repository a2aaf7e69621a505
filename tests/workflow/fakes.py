"""In-process stand-ins for the provider activities, registered under the real names and models.

They record every call so tests can count envelopes, invoices, transfers and emails, and they can be told
to refuse a call for good (a non-retryable ApplicationError) to exercise NeedsAttention.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from casefac.activity_io import (
    ActivityName,
    EnvelopeRef,
    EnvelopeTruth,
    GetEnvelopeStatus,
    GetInvoice,
    InvoiceRef,
    IssueInvoice,
    LoadRoster,
    MailBatch,
    MailReceipt,
    PayDefender,
    RosterSnapshot,
    SendAgreementEnvelope,
    SendContractEnvelope,
    SendMail,
    StoredDocuments,
    StoreSignedDocuments,
    TransferRef,
    VoidEnvelope,
    VoidInvoice,
)
from casefac.money import Money
from casefac.record import CaseRecord, RecordWritten
from casefac.roster import parse_roster
from casefac.settings import PACKAGE_DIR

ROSTER = parse_roster((PACKAGE_DIR / "data" / "roster.yaml").read_text())


@dataclass
class FakeProviders:
    calls: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    refuse: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # name -> error types
    #: While True, record writes fail as an unreachable database does (retryable), and are not kept.
    records_down: bool = False
    #: W2: what Stripe says an invoice's status is (``billing.get_invoice``, ``billing.void_invoice``). Unset: a
    #: "paid signal" check finds it paid (the webhook told the truth), any other look-up finds it as issued.
    invoice_status: dict[str, str] = field(default_factory=dict)
    #: W1: what DocuSign says about an envelope (``esign.get_envelope_status``). Unset: DocuSign agrees with the
    #: question (a "confirm completed" finds it completed; a reconciliation finds nothing new).
    envelope_truth: dict[str, EnvelopeTruth] = field(default_factory=dict)
    #: W1: the status the envelope activities report, as when their search finds this step's envelope already
    #: further on (a retry after a lost answer, a restarted entity): "completed", "voided"... None: "sent".
    found_status: str | None = None
    #: W1: seconds ``send_contract`` takes (a slow DocuSign), for tests that act while the envelope is made.
    send_contract_delay: float = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.refuse.clear()

    def _enter(self, name: str, arg: Any) -> None:
        self.calls[name].append(arg)
        if self.refuse[name]:
            # "StripeRejected" or "StripeRejected|the provider's own message" (in the details, as activities do)
            etype, _, said = self.refuse[name].pop(0).partition("|")
            details = [{"status": 400, "code": None, "provider_message": said}] if said else []
            raise ApplicationError(f"refused by the provider ({etype})", *details, type=etype, non_retryable=True)

    def mails(self, kind: str | None = None, role: str | None = None) -> list[SendMail]:
        return [m for m in self.calls[ActivityName.SEND_MAIL]
                if (kind is None or m.kind.value == kind) and (role is None or m.to.role.value == role)]

    @activity.defn(name=ActivityName.LOAD_ROSTER)
    async def load_roster(self, inp: LoadRoster) -> RosterSnapshot:
        self._enter(ActivityName.LOAD_ROSTER, inp)
        return RosterSnapshot(defenders=[d for d in ROSTER.defenders if inp.country in (None, d.country)])

    @activity.defn(name=ActivityName.SEND_AGREEMENT_ENVELOPE)
    async def send_agreement(self, inp: SendAgreementEnvelope) -> EnvelopeRef:
        self._enter(ActivityName.SEND_AGREEMENT_ENVELOPE, inp)
        return EnvelopeRef(envelope_id=f"agr-{inp.advocate.id}-{inp.attempt}", status=self.found_status or "sent")

    @activity.defn(name=ActivityName.SEND_CONTRACT_ENVELOPE)
    async def send_contract(self, inp: SendContractEnvelope) -> EnvelopeRef:
        self._enter(ActivityName.SEND_CONTRACT_ENVELOPE, inp)
        if self.send_contract_delay:  # W1: a slow DocuSign (real seconds; the test acts meanwhile)
            import asyncio

            await asyncio.sleep(self.send_contract_delay)
        return EnvelopeRef(envelope_id=f"env-{inp.case_id}-{inp.attempt}", status=self.found_status or "sent")

    @activity.defn(name=ActivityName.VOID_ENVELOPE)
    async def void_envelope(self, inp: VoidEnvelope) -> None:
        self._enter(ActivityName.VOID_ENVELOPE, inp)

    @activity.defn(name=ActivityName.GET_ENVELOPE_STATUS)
    async def get_envelope_status(self, inp: GetEnvelopeStatus) -> EnvelopeTruth:
        """W1: DocuSign's truth, from ``envelope_truth`` (see there for the default)."""
        self._enter(ActivityName.GET_ENVELOPE_STATUS, inp)
        truth = self.envelope_truth.get(inp.envelope_id)
        if truth is not None:
            return truth
        if inp.reason == "confirm completed":
            return EnvelopeTruth(envelope_id=inp.envelope_id, status="completed", signed=["1", "2", "3"])
        return EnvelopeTruth(envelope_id=inp.envelope_id, status="sent")

    @activity.defn(name=ActivityName.STORE_SIGNED_DOCUMENTS)
    async def store_documents(self, inp: StoreSignedDocuments) -> StoredDocuments:
        self._enter(ActivityName.STORE_SIGNED_DOCUMENTS, inp)
        base = Path("/documents") / inp.case_id / inp.label
        return StoredDocuments(combined_uri=f"file://{base}.html", certificate_uri=f"file://{base}-cert.html",
                               sha256="0" * 64)

    @activity.defn(name=ActivityName.SEND_MAIL)
    async def send_mail(self, inp: SendMail) -> MailReceipt:
        self._enter(ActivityName.SEND_MAIL, inp)
        return MailReceipt(message_id=f"msg-{len(self.calls[ActivityName.SEND_MAIL])}")

    @activity.defn(name=ActivityName.SEND_MAILS)
    async def send_mails(self, batch: MailBatch) -> list[MailReceipt]:
        self.calls[ActivityName.SEND_MAILS].append(batch)  # the batch as one call; each message below too
        return [await self.send_mail(m) for m in batch.messages]

    @activity.defn(name=ActivityName.ISSUE_INVOICE)
    async def issue_invoice(self, inp: IssueInvoice) -> InvoiceRef:
        self._enter(ActivityName.ISSUE_INVOICE, inp)
        n = len(self.calls[ActivityName.ISSUE_INVOICE])
        return InvoiceRef(invoice_id=self.invoice_id(inp), number=f"JIM-{n:04d}", status="open",
                          amount_due=inp.total, hosted_invoice_url=f"http://pay.local/in_{n}",
                          due_date=datetime.now(UTC).date() + timedelta(days=inp.days_until_due), total=inp.total,
                          amount_paid=Money.zero(inp.total.currency), amount_remaining=inp.total)

    @staticmethod
    def invoice_id(inp: IssueInvoice) -> str:
        return f"in_{inp.case_id}_{inp.report_number}" + (f"_i{inp.reissue}" if inp.reissue else "")

    @activity.defn(name=ActivityName.VOID_INVOICE)
    async def void_invoice(self, inp: VoidInvoice) -> InvoiceRef:
        self._enter(ActivityName.VOID_INVOICE, inp)
        issued = next(i for i in self.calls[ActivityName.ISSUE_INVOICE] if self.invoice_id(i) == inp.invoice_id)
        if self.invoice_status.get(inp.invoice_id) == "paid":
            if not inp.paid_ok:
                raise ApplicationError("already paid", type="InvoiceAlreadyPaid", non_retryable=True)
            return InvoiceRef(invoice_id=inp.invoice_id, status="paid", amount_due=Money.zero(issued.total.currency),
                              total=issued.total, amount_paid=issued.total,
                              amount_remaining=Money.zero(issued.total.currency))
        status = "uncollectible" if inp.mark == "uncollectible" else "void"
        self.invoice_status[inp.invoice_id] = status
        return InvoiceRef(invoice_id=inp.invoice_id, status=status, amount_due=issued.total,  # type: ignore[arg-type]
                          total=issued.total)

    @activity.defn(name=ActivityName.GET_INVOICE)
    async def get_invoice(self, inp: GetInvoice) -> InvoiceRef:
        """W2: Stripe's view of an issued invoice (see ``invoice_status``)."""
        self._enter(ActivityName.GET_INVOICE, inp)
        issued = next(i for i in self.calls[ActivityName.ISSUE_INVOICE] if self.invoice_id(i) == inp.invoice_id)
        status = self.invoice_status.get(inp.invoice_id) or ("paid" if inp.reason == "paid signal" else "open")
        paid = issued.total if status == "paid" else Money.zero(issued.total.currency)
        return InvoiceRef(invoice_id=inp.invoice_id, status=status, total=issued.total,  # type: ignore[arg-type]
                          amount_due=issued.total, amount_paid=paid,
                          amount_remaining=Money(amount=issued.total.amount - paid.amount,
                                                 currency=issued.total.currency))

    @activity.defn(name=ActivityName.PAY_DEFENDER)
    async def pay_defender(self, inp: PayDefender) -> TransferRef:
        self._enter(ActivityName.PAY_DEFENDER, inp)
        return TransferRef(transfer_id=f"tr_{inp.case_id}_{inp.report_number}", amount=inp.amount)

    @activity.defn(name=ActivityName.WRITE_RECORD)
    async def write_record(self, record: CaseRecord) -> RecordWritten:
        """Keeps every snapshot it accepted (``records(case_id)``), in the order they came."""
        if self.records_down:
            self.calls["records.refused"].append(record)
            raise ApplicationError("case record unreachable", type="RecordsUnavailable")
        self._enter(ActivityName.WRITE_RECORD, record)
        return RecordWritten(result="written", seq=record.seq)

    def records(self, case_id: str) -> list[CaseRecord]:
        return [r for r in self.calls[ActivityName.WRITE_RECORD] if r.case_id == case_id]

    def by_queue(self) -> dict[str, list[Any]]:
        from casefac.activity_io import TaskQueue

        return {
            TaskQueue.MAIN: [self.load_roster],
            TaskQueue.ESIGN: [self.send_agreement, self.send_contract, self.void_envelope, self.store_documents,
                              self.get_envelope_status],
            TaskQueue.MAIL: [self.send_mail, self.send_mails],
            TaskQueue.BILLING: [self.issue_invoice, self.void_invoice, self.pay_defender, self.get_invoice],
            TaskQueue.RECORDS: [self.write_record],
        }
