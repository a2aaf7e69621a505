"""Attack (review M2): a report link reused after its report was approved submits a second, fake report.

Before the fix nothing recorded a link's use: the same emailed (or forwarded) ``submit_report`` link kept
working for every report of the assignment, for its whole 14 days. Now the workflow records the link's
nonce when its one-shot update is handled and refuses it after; the portal reads the spent nonces from the
case's ``status`` and refuses before showing anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.case import CaseStage
from casefac.messages import LinkUse, SubmitReport, Update
from casefac.report import ReportKind
from casefac.settings import Settings
from tests.portal.stack import link, link_signer
from tests.workflow.harness import Harness


async def test_a_report_link_cannot_submit_a_second_report(portal: httpx.AsyncClient, harness: Harness,
                                                           settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    path = link(settings, case, "submit_report")
    nonce = link_signer(settings).verify_link(path, datetime.now(UTC)).nonce
    used = SubmitReport(actor=case.defender, report=case.report(ReportKind.INTERIM), link=LinkUse(nonce=nonce))
    first = await case.update(Update.SUBMIT_REPORT, used)  # as the portal sends it for this link
    assert first.number == 1
    await case.stage(CaseStage.PAYMENT)
    await case.approve(1)
    status = await case.until(lambda s: s.stage is CaseStage.ASSIGNMENT, "back to work")
    assert nonce in status.used_links

    # The same link again: the portal refuses before showing the form, and the workflow refuses the update.
    page = await portal.get(path)
    assert page.status_code == 403
    posted = await portal.post(path, data={"op": "submit", "kind": "final"})
    assert posted.status_code == 403
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await case.update(Update.SUBMIT_REPORT, used.model_copy(update={"report": case.report(ReportKind.FINAL)}))
    assert "already been used" in str(refused.value.cause)
    # A fresh link (the reminder's) still works.
    assert (await portal.get(link(settings, case, "submit_report"))).status_code == 200
