"""Receipts on the report page (issue 12 item 4): real type by magic bytes, safe names, tamper-proof refs."""

from __future__ import annotations

import hashlib

from casefac.report import MAX_RECEIPT_BYTES
from gateway.portal import receipts


class _Store:
    def __init__(self) -> None:
        self.put_keys: list[str] = []

    def put(self, key: str, data: bytes) -> str:
        self.put_keys.append(key)
        return f"mem://{key}"

    def get(self, uri: str) -> bytes:
        raise NotImplementedError


def test_types_by_magic_bytes_sizes_and_counts() -> None:
    assert receipts.sniff(b"\xff\xd8\xff\xe0...") == "image/jpeg"
    assert receipts.sniff(b"%PDF-1.7") == "application/pdf"
    assert receipts.sniff(b"MZ\x90\x00 an exe named .png") is None
    store = _Store()
    png = b"\x89PNG\r\n\x1a\n" + b"1"
    refs, refused = receipts.take_uploads(store, "JIM-2026-0001", [
        ("C:\\fotos\\bus.png", png), ("virus.pdf", b"MZ"), ("big.pdf", b"%PDF-" + b"0" * MAX_RECEIPT_BYTES),
        ("again.png", png)], already=9)
    assert [r.name for r in refs] == ["bus.png"]
    assert [(r.key, r.name) for r in refused] == [("error.receipt_type", "virus.pdf"),
                                                  ("error.receipt_size", "big.pdf"),
                                                  ("error.receipt_count", "again.png")]
    assert store.put_keys == [f"receipts/JIM-2026-0001/{hashlib.sha256(png).hexdigest()}"]


def test_a_hidden_reference_cannot_point_at_another_case_or_file() -> None:
    store = _Store()
    [ref], _ = receipts.take_uploads(store, "JIM-2026-0001", [("a.pdf", b"%PDF-1")], already=0)
    raw = receipts.encode(ref)
    assert receipts.decode(raw, "JIM-2026-0001") == ref
    assert receipts.decode(raw, "JIM-2026-0002") is None
    assert receipts.decode(raw.replace(ref.sha256, "0" * 64, 1), "JIM-2026-0001") is None
    assert receipts.safe_name("../../etc/passwd") == "passwd"


def test_the_invoice_email_names_receipts_by_line_never_by_the_uploaded_name() -> None:
    from datetime import date

    from casefac.money import Money
    from casefac.report import ExpenseLine, HourExpenseReport, ReceiptRef, ReportKind

    def ref(name: str, content_type: str, byte: str) -> ReceiptRef:
        sha = hashlib.sha256(byte.encode()).hexdigest()
        return ReceiptRef(key=f"receipts/JIM-2026-0001/{sha}", sha256=sha, size=10, content_type=content_type,  # type: ignore[arg-type]
                          name=name)

    def line(*refs: ReceiptRef) -> ExpenseLine:
        return ExpenseLine(date=date(2026, 11, 2), amount=Money(amount=1000, currency="GTQ"), expense_code="E110",
                           description="Bus", receipts=list(refs))

    report = HourExpenseReport(kind=ReportKind.FINAL, hours=[], expenses=[
        line(ref("bus a Cobán con la testigo.pdf", "application/pdf", "a")), line(),
        line(ref("IMG_1.jpg", "image/jpeg", "b"), ref("scan.png", "image/png", "c"))])
    assert report.neutral_receipt_names() == ["E1-receipt-1.pdf", "E3-receipt-1.jpg", "E3-receipt-2.png"]
    assert report.attachment_names()[0] == "bus a Cobán con la testigo.pdf"  # staff keep the original
