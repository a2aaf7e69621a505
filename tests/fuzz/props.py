"""Properties shared by the fuzz tests: what a refusal must look like, and which model each update takes."""

from __future__ import annotations

from pydantic import BaseModel

from casefac.events import AgreementRequest, AgreementSigned, EnvelopeEvent, InvoiceEvent, MailEvent
from casefac.messages import (
    ApproveContract,
    CancelCase,
    EditContract,
    RecordPayout,
    ReportOutcome,
    RespondToAssignment,
    RetryStep,
    ReviewCase,
    ReviewReport,
    SubmitEvaluation,
    SubmitReport,
    Update,
    UpdateTask,
)

#: A refusal is read by a person in a portal page or the CLI: a short sentence, not a dump of the input.
MAX_MESSAGE_BYTES = 2048
#: The ``field`` of ``field: rule`` (``report.hours[0].hours``, ``payload``, ``stage``) is short.
MAX_FIELD_CHARS = 300

UPDATE_MODELS: dict[str, type[BaseModel]] = {
    Update.REVIEW_CASE: ReviewCase,
    Update.RESPOND_TO_ASSIGNMENT: RespondToAssignment,
    Update.EDIT_CONTRACT: EditContract,
    Update.APPROVE_CONTRACT: ApproveContract,
    Update.UPDATE_TASK: UpdateTask,
    Update.SUBMIT_REPORT: SubmitReport,
    Update.REVIEW_REPORT: ReviewReport,
    Update.RECORD_PAYOUT: RecordPayout,
    Update.SUBMIT_EVALUATION: SubmitEvaluation,
    Update.REPORT_OUTCOME: ReportOutcome,
    Update.CANCEL_CASE: CancelCase,
    Update.RETRY_STEP: RetryStep,
}

SIGNAL_MODELS: tuple[type[BaseModel], ...] = (EnvelopeEvent, InvoiceEvent, MailEvent, AgreementRequest,
                                              AgreementSigned)


def rule_message_problem(message: str) -> str | None:
    """Why ``message`` is not an acceptable refusal (``field: rule``, non-empty, under 2 KB), or None.

    Lenient on content (a field path may quote an unexpected key) and strict on size and shape, because
    the portal shows this text to a person and the CLI prints it.
    """
    size = len(message.encode("utf-8", "surrogatepass"))
    if not message.strip():
        return "the refusal is empty"
    if size > MAX_MESSAGE_BYTES:
        return f"the refusal is {size} bytes (limit {MAX_MESSAGE_BYTES}): {message[:300]!r}…"
    field, sep, rule = message.partition(": ")
    if not sep or not field.strip() or len(field) > MAX_FIELD_CHARS or "\n" in field or not rule.strip():
        return f"the refusal does not read 'field: rule': {message[:300]!r}"
    return None


def assert_rule_message(message: str) -> None:
    problem = rule_message_problem(message)
    assert problem is None, problem
