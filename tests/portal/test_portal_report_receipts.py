"""Issue 12 item 4: a corrected report starts from the one sent back; receipts are attached, checked by their
first bytes, stored encrypted, and referenced from the report (never its bytes)."""

from __future__ import annotations

import hashlib

import httpx

from casefac.case import CaseStage
from casefac.documents import document_store, is_sealed
from casefac.keyring import KeyRing
from casefac.messages import ReviewReport, Update
from casefac.settings import Settings
from starters.demo_parties import Form, read_page
from tests.portal.stack import link
from tests.workflow.harness import STAFF, Harness

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"receipt"


def _form(html: str) -> Form:
    found = next((f for f in read_page(html)[0] if f.id == "report"), None)
    assert found is not None, html[:2000]
    return found


async def _sent_back(harness: Harness) -> object:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number,
                                                         decision="request_changes",
                                                         reasons=["Attach the bus receipt"]))
    await case.stage(CaseStage.ASSIGNMENT)
    return case


async def test_the_corrected_report_is_prefilled_and_takes_a_receipt(portal: httpx.AsyncClient, harness: Harness,
                                                                     settings: Settings) -> None:
    KeyRing.load_or_create(settings.keyring_path)  # the gateway stores receipts encrypted under the ring
    case = await _sent_back(harness)
    path = link(settings, case, "submit_report")  # type: ignore[attr-defined]
    page = await portal.get(path)
    assert page.status_code == 200
    values = _form(page.text).values()
    assert values["hours[0].description"] == "Located the client and held a video call"
    assert values["expenses[0].amount"] == "250.00" and values["expenses[0].amount.currency"] == "GTQ"
    assert 'enctype="multipart/form-data"' in page.text and 'id="prefilled"' in page.text

    form = _form(page.text)
    refused = await portal.post(path, data=form.data("recalc"),
                                files=[("expenses[0].receipt", ("notes.txt", b"just text", "image/png"))])
    assert refused.status_code == 200
    said = read_page(refused.text)[1]
    assert "notes.txt" in said and "JPEG" in said and "PDF" in said  # refused by its bytes, in the page's words

    attached = await portal.post(path, data=_form(refused.text).data("recalc"),
                                 files=[("expenses[0].receipt", ("../../bus ticket.png", PNG, "image/png"))])
    assert attached.status_code == 200 and "bus ticket.png" in read_page(attached.text)[1]
    form = _form(attached.text).fill({"kind": "final"})
    done = await portal.post(path, data=form.data("submit"))
    assert done.status_code == 200, read_page(done.text)[1]
    s = await case.stage(CaseStage.PAYMENT)  # type: ignore[attr-defined]
    [receipt] = s.reports[-1].receipts
    sha = hashlib.sha256(PNG).hexdigest()
    assert (receipt.name, receipt.content_type, receipt.size, receipt.sha256) == ("bus ticket.png", "image/png",
                                                                                   len(PNG), sha)
    assert receipt.key == f"receipts/{s.case_id}/{sha}"
    store = document_store(settings)
    path_on_disk = store.root.joinpath(*receipt.key.split("/"))
    assert store.get(path_on_disk.as_uri()) == PNG
    assert is_sealed(path_on_disk.read_bytes())  # encrypted at rest under the key ring
