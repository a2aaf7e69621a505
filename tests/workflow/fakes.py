"""In-process stand-ins for the provider activities, registered under the real names and models.

They record every call so tests can count envelopes, invoices, transfers and emails, and they can be told
to refuse a call for good (a non-retryable ApplicationError) to exercise NeedsAttention.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from casefac.activity_io import (
    ActivityName,
    EnvelopeRef,
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
        return EnvelopeRef(envelope_id=f"agr-{inp.advocate.id}-{inp.attempt}", status="sent")

    @activity.defn(name=ActivityName.SEND_CONTRACT_ENVELOPE)
    async def send_contract(self, inp: SendContractEnvelope) -> EnvelopeRef:
        self._enter(ActivityName.SEND_CONTRACT_ENVELOPE, inp)
        return EnvelopeRef(envelope_id=f"env-{inp.case_id}-{inp.attempt}", status="sent")

    @activity.defn(name=ActivityName.VOID_ENVELOPE)
    async def void_envelope(self, inp: VoidEnvelope) -> None:
        self._enter(ActivityName.VOID_ENVELOPE, inp)

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
        return InvoiceRef(invoice_id=f"in_{inp.case_id}_{inp.report_number}", number=f"JIM-{n:04d}", status="open",
                          amount_due=inp.total, hosted_invoice_url=f"http://pay.local/in_{n}",
                          due_date=date(2026, 1, 1) + timedelta(days=inp.days_until_due))

    @activity.defn(name=ActivityName.VOID_INVOICE)
    async def void_invoice(self, inp: VoidInvoice) -> InvoiceRef:
        self._enter(ActivityName.VOID_INVOICE, inp)
        issued = next(i for i in self.calls[ActivityName.ISSUE_INVOICE]
                      if f"in_{i.case_id}_{i.report_number}" == inp.invoice_id)
        return InvoiceRef(invoice_id=inp.invoice_id, status="void", amount_due=issued.total)

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
            TaskQueue.ESIGN: [self.send_agreement, self.send_contract, self.void_envelope, self.store_documents],
            TaskQueue.MAIL: [self.send_mail, self.send_mails],
            TaskQueue.BILLING: [self.issue_invoice, self.void_invoice, self.pay_defender],
            TaskQueue.RECORDS: [self.write_record],
        }
