"""The activities' contract: names, task queues and input/output models.

Workflows call activities by these names (they never import ``activities/``); the real activities and the
workflow tests' stand-ins register under the same names with the same models.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from casefac.case import MatterType
from casefac.contract import ContractRevision
from casefac.money import Money
from casefac.parties import Advocate, Country, Defender, Language, Role, Service
from casefac.pricing import PricedLine


class ActivityName:
    LOAD_ROSTER = "roster.load"
    REQUEST_AGREEMENT = "agreement.request"
    SEND_AGREEMENT_ENVELOPE = "esign.send_agreement"
    SEND_CONTRACT_ENVELOPE = "esign.send_contract"
    VOID_ENVELOPE = "esign.void_envelope"
    STORE_SIGNED_DOCUMENTS = "esign.store_documents"
    #: W1: DocuSign's truth about one envelope (read-only): reconciliation and confirming "completed".
    GET_ENVELOPE_STATUS = "esign.get_envelope_status"
    #: W1: the Advocate entity's answer about the agreement, for a case confirming an ``agreement_signed``.
    CONFIRM_AGREEMENT = "agreement.confirm"
    SEND_MAIL = "mail.send"
    SEND_MAILS = "mail.send_batch"
    ISSUE_INVOICE = "billing.issue_invoice"
    VOID_INVOICE = "billing.void_invoice"
    PAY_DEFENDER = "billing.pay_defender"
    #: W2: Stripe's truth about one invoice (read-only): confirming "paid", reconciling before each dunning mail.
    GET_INVOICE = "billing.get_invoice"
    WRITE_RECORD = "records.write"


class TaskQueue:
    """One queue for workflows and Temporal-only activities, one per provider so each can be rate-limited."""

    MAIN = "casefac"
    ESIGN = "casefac-esign"
    MAIL = "casefac-mail"
    BILLING = "casefac-billing"
    #: The case record's writes: its own queue, so a slow or stopped database holds up nothing else.
    RECORDS = "casefac-records"


_frozen = ConfigDict(frozen=True, extra="ignore")


# roster ---------------------------------------------------------------------------------------------
class LoadRoster(BaseModel):
    model_config = _frozen
    country: Country | None = None


class RosterSnapshot(BaseModel):
    model_config = _frozen
    defenders: list[Defender]


# e-signature ----------------------------------------------------------------------------------------
class SendAgreementEnvelope(BaseModel):
    """The one-time Advocate Agreement; ``workflow_id`` is the Advocate entity's (the webhook target)."""

    model_config = _frozen
    workflow_id: str
    attempt: Annotated[int, Field(ge=1)] = 1
    advocate: Advocate


class SendContractEnvelope(BaseModel):
    """One envelope, three embedded signers in routing order: Advocate (1), Defender (2), JiM (3)."""

    model_config = _frozen
    workflow_id: str
    case_id: str
    attempt: Annotated[int, Field(ge=1)]
    revision: ContractRevision
    advocate: Advocate
    defender: Defender
    country: Country
    matter_type: MatterType
    services: list[Service]


class EnvelopeRef(BaseModel):
    model_config = _frozen
    envelope_id: str
    status: str


class VoidEnvelope(BaseModel):
    model_config = _frozen
    envelope_id: str
    reason: Annotated[str, Field(min_length=1, max_length=200)]


class GetEnvelopeStatus(BaseModel):
    """W1: ask DocuSign for an envelope's status and who signed (``reason`` is for the log only)."""

    model_config = _frozen
    envelope_id: str
    reason: Annotated[str, Field(max_length=60)] = ""


class EnvelopeTruth(BaseModel):
    """W1: what DocuSign says about an envelope: its status and the recipient ids that completed."""

    model_config = _frozen
    envelope_id: str
    #: DocuSign's status: created, sent, delivered, signed, completed, declined, voided.
    status: str
    signed: list[str] = []
    reason: str = ""


class ConfirmAgreement(BaseModel):
    """W1: a case asks the Advocate's entity whether the agreement is really in force (security C2 §4)."""

    model_config = _frozen
    advocate_id: str


class StoreSignedDocuments(BaseModel):
    model_config = _frozen
    case_id: str
    envelope_id: str
    label: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]


class StoredDocuments(BaseModel):
    model_config = _frozen
    combined_uri: str
    certificate_uri: str
    sha256: str


#: DocuSign recipient ids of the contract envelope, by role, in routing order.
CONTRACT_SIGNERS: MappingProxyType[Role, str] = MappingProxyType({Role.ADVOCATE: "1", Role.DEFENDER: "2",
                                                                  Role.STAFF: "3"})


# mail -----------------------------------------------------------------------------------------------
class MailKind(StrEnum):
    CASE_RECEIVED = "case_received"
    CASE_DECLINED = "case_declined"
    REVIEW_REMINDER = "review_reminder"
    ASSIGNMENT_OFFER = "assignment_offer"
    ASSIGNMENT_CONFIRMED = "assignment_confirmed"
    AGREEMENT_TO_SIGN = "agreement_to_sign"
    AGREEMENT_REMINDER = "agreement_reminder"
    #: W1: to the address an Agreement was sent to, when a case names other contact details (security m8).
    AGREEMENT_CONTACT_CHANGED = "agreement_contact_changed"
    CONTRACT_REVIEW = "contract_review"
    CONTRACT_REMINDER = "contract_reminder"
    CONTRACT_TO_SIGN = "contract_to_sign"
    SIGNATURE_REMINDER = "signature_reminder"
    CONTRACT_SIGNED = "contract_signed"
    CONTRACT_RETURNED = "contract_returned"
    ASSIGNMENT_STARTED = "assignment_started"
    REPORT_REMINDER = "report_reminder"
    REPORT_RECEIVED = "report_received"
    REPORT_CHANGES_REQUESTED = "report_changes_requested"
    REPORT_APPROVED = "report_approved"
    INVOICE_SENT = "invoice_sent"
    INVOICE_REMINDER = "invoice_reminder"
    PAYOUT_MADE = "payout_made"
    PAYOUT_TO_RECORD = "payout_to_record"
    EVALUATION_REQUEST = "evaluation_request"
    EVALUATION_REMINDER = "evaluation_reminder"
    OUTCOME_REMINDER = "outcome_reminder"
    CASE_CLOSED = "case_closed"
    CASE_CANCELLED = "case_cancelled"
    STAFF_ESCALATION = "staff_escalation"
    NEEDS_ATTENTION = "needs_attention"
    #: The digests (``workflows/digest.py``): what needs a person, daily to staff, weekly to finance.
    STAFF_DIGEST = "staff_digest"
    FINANCE_DIGEST = "finance_digest"


#: The query a case or Advocate entity answers with the addresses it mails a party's links to (role, party id):
#: the mail activity asks it before minting a link, so a forged input cannot name another address (S2).
MAIL_ADDRESSES_QUERY = "mail_addresses"


class MailTo(BaseModel):
    """A recipient. Staff and finance are resolved to JiM's addresses from settings by the activity."""

    model_config = _frozen
    role: Role
    party_id: str
    email: EmailStr | None = None
    name: str = ""
    language: Language = "en"


class PortalAction(BaseModel):
    """One action a signed, expiring portal link lets its holder take (the mail activity signs it)."""

    model_config = _frozen
    action: Literal["respond_assignment", "review_contract", "sign_contract", "update_task", "submit_report",
                    "evaluate", "report_outcome", "sign_agreement"]
    role: Role
    party_id: str
    case_id: str
    #: The party's link epoch on this case when the link is minted (``workflows/guard_links.py``); links of
    #: an older epoch are refused (revoked by ``casefac resend``).
    epoch: Annotated[int, Field(ge=0)] = 0


#: A template value: already formatted text, a number or a flag; lists of mappings for a digest's sections.
TemplateValue = str | int | bool | None | list[dict[str, Any]]


class Attachment(BaseModel):
    """A file the email carries (the LEDES 1998B file on an invoice), already encoded."""

    model_config = _frozen
    filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")]
    content_type: Annotated[str, Field(max_length=100)] = "application/octet-stream"
    content_base64: Annotated[str, Field(max_length=2_000_000)]


class SendMail(BaseModel):
    model_config = _frozen
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)]
    kind: MailKind
    case_id: str | None = None
    to: MailTo
    context: dict[str, TemplateValue] = {}
    actions: list[PortalAction] = []
    attachments: Annotated[list[Attachment], Field(max_length=5)] = []


class MailBatch(BaseModel):
    """One notification to several people (each message personal: language, links): one activity, not N."""

    model_config = _frozen
    messages: Annotated[list[SendMail], Field(min_length=1, max_length=10)]


class MailReceipt(BaseModel):
    model_config = _frozen
    message_id: str


# billing --------------------------------------------------------------------------------------------
class IssueInvoice(BaseModel):
    model_config = _frozen
    workflow_id: str
    case_id: str
    report_number: int
    advocate: Advocate
    lines: Annotated[list[PricedLine], Field(min_length=1)]
    total: Money
    days_until_due: int
    #: W2 (review M3): update the Stripe customer's email and name from ``advocate`` (an explicit change by staff);
    #: otherwise an existing customer is left as it is, so a fix made in Stripe is not reverted by a stale snapshot.
    update_customer: bool = False
    #: W2 (review M6): a staff re-issue of the report's invoice (1, 2…): new idempotency keys and metadata, so
    #: Stripe makes a new invoice instead of finding the voided one.
    reissue: Annotated[int, Field(ge=0)] = 0
    #: Bumped by the workflow each time staff retry this step after NeedsAttention: Stripe replays a failed
    #: request's result under its idempotency key for 24 h, so a retry must send new keys (0: the first keys).
    key_generation: Annotated[int, Field(ge=0)] = 0


class InvoiceRef(BaseModel):
    model_config = _frozen
    invoice_id: str
    number: str | None = None
    status: Literal["draft", "open", "paid", "void", "uncollectible"]
    amount_due: Money
    hosted_invoice_url: str | None = None
    due_date: date | None = None
    #: W2 (review M6): Stripe's figures; ``total`` is what was billed, the others move with payments and credits.
    total: Money | None = None
    amount_paid: Money | None = None
    amount_remaining: Money | None = None
    #: Credit notes against the invoice (``post_payment_credit_notes_amount`` + ``pre_payment…``), minor units.
    credited: int = 0


class VoidInvoice(BaseModel):
    model_config = _frozen
    workflow_id: str
    invoice_id: str
    #: W2: answer a paid invoice with its ref instead of ``InvoiceAlreadyPaid`` (a cancel records the payment).
    paid_ok: bool = False
    #: W2: ``uncollectible``: mark it uncollectible (a staff write-off) instead of voiding it.
    mark: Literal["void", "uncollectible"] = "void"


class GetInvoice(BaseModel):
    """W2: read one invoice at Stripe (``reason`` is for the log only)."""

    model_config = _frozen
    workflow_id: str
    invoice_id: str
    reason: Annotated[str, Field(max_length=60)] = ""


class PayDefender(BaseModel):
    model_config = _frozen
    workflow_id: str
    case_id: str
    report_number: int
    defender_id: str
    account_id: str
    amount: Money
    #: As ``IssueInvoice.key_generation``: a staff retry's transfer goes out under a fresh idempotency key.
    key_generation: Annotated[int, Field(ge=0)] = 0
    #: W2 (security C2 §5): the country whose roster the activity loads itself to check ``account_id``.
    country: str | None = None


class TransferRef(BaseModel):
    model_config = _frozen
    transfer_id: str
    amount: Money
