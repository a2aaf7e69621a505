"""``casefac receipts CASE REPORT``: staff list a report's receipts and extract them to owner-only files."""

from __future__ import annotations

import hashlib
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from casefac.documents import document_store, is_sealed
from casefac.messages import SubmitReport, Update
from casefac.money import Money
from casefac.report import ExpenseLine, HourExpenseReport, HourLine, ReceiptRef, ReportKind
from casefac.settings import Settings
from tests.cli.conftest import CliWorld

PDF = b"%PDF-1.4\n% a scanned bus ticket\n"


async def test_list_and_extract_receipts(world: CliWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in world.shell.items():
        monkeypatch.setenv(key, value)
    store = document_store(Settings())  # type: ignore[call-arg]
    case = await world.harness.open()
    await case.to_assignment("DEF-GT-001")
    sha = hashlib.sha256(PDF).hexdigest()
    key = f"receipts/{case.case_id}/{sha}"
    store.put(key, PDF)  # what the portal does with an upload
    ref = ReceiptRef(key=key, sha256=sha, size=len(PDF), content_type="application/pdf", name="ticket.pdf")
    report = HourExpenseReport(kind=ReportKind.FINAL, hours=[HourLine(
        date=date.today(), hours=Decimal("1.0"), task_code="L110", activity_code="A106", description="Call")],
        expenses=[ExpenseLine(date=date.today(), amount=Money(amount=5000, currency="GTQ"), expense_code="E109",
                              description="Bus", receipts=[ref, ref])])
    await case.update(Update.SUBMIT_REPORT, SubmitReport(actor=case.defender, report=report))
    assert is_sealed(store.root.joinpath(*key.split("/")).read_bytes())
    listed = await world.cli("receipts", case.case_id, "1")
    assert listed.code == 0, listed.text
    assert "ticket.pdf" in listed.out and "application/pdf" in listed.out
    out = tmp_path / "out"
    ran = await world.cli("receipts", case.case_id, "1", "--extract", str(out))
    assert ran.code == 0, ran.text
    files = sorted(p.name for p in out.iterdir())
    assert files == ["ticket (2).pdf", "ticket.pdf"]
    assert (out / "ticket.pdf").read_bytes() == PDF
    assert stat.S_IMODE((out / "ticket.pdf").stat().st_mode) == 0o600
    assert report.attachment_names() == ["ticket.pdf", "ticket.pdf"]  # what the invoice email lists (W2)
