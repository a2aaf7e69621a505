"""Security M4: what the Defender typed reaches neither Stripe (the invoice lines) nor the LEDES attachment,
unless staff opt a line in when approving (``ReviewReport.line_text``)."""

from __future__ import annotations

import base64

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import ReviewReport, Update
from casefac.report import ReportKind
from tests.workflow.harness import STAFF, Harness, mails_eventually

TYPED = ("Located the client", "video call", "Bus fare", "client's town")


async def _approved(harness: Harness, line_text: list[str]) -> tuple[str, str]:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.FINAL))
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                         exchange_rates=case.gtq_rates(), line_text=line_text))
    await case.stage(CaseStage.EVALUATION)
    [issued] = harness.fakes.calls[ActivityName.ISSUE_INVOICE]
    [sent] = await mails_eventually(harness, "invoice_sent", case_id=case.case_id)
    [ledes] = sent.attachments
    return " | ".join(line.description for line in issued.lines), base64.b64decode(ledes.content_base64).decode()


async def test_invoice_lines_and_ledes_carry_codes_not_the_defenders_words(harness: Harness) -> None:
    lines, ledes = await _approved(harness, [])
    assert not [w for w in TYPED if w in lines or w in ledes]
    assert "3.5h L110" in lines and "E109" in lines
    assert "|L110|" in ledes and "|E109|" in ledes


async def test_staff_may_opt_one_line_in(harness: Harness) -> None:
    lines, ledes = await _approved(harness, ["e1"])
    assert "Bus fare to the client's town" in lines and "Bus fare to the client" in ledes
    assert "Located the client" not in lines and "Located the client" not in ledes
