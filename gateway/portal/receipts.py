"""Receipts on the report page: checked by their first bytes, stored encrypted, referenced from the report.

The router (``gateway/portal/router.py``) reads the report page's ``multipart/form-data`` within its upload
limits; :func:`take_uploads` stores each file through the document store (``casefac.documents``, encrypted
at rest under the key ring) and gives back references (key, sha256, size, type, name). The bytes never
enter the workflow: the report carries the references. A refused file is said in the Defender's language.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from casefac.documents import DocumentStore
from casefac.report import MAX_RECEIPT_BYTES, MAX_RECEIPTS_PER_REPORT, ReceiptRef

#: Magic bytes → type; the browser's declared type and the file name are not trusted.
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))
_UNSAFE = re.compile(r"[^\w .()-]+", re.UNICODE)


def sniff(data: bytes) -> str | None:
    """The receipt's real type from its first bytes, or None if it is not a JPEG, PNG or PDF."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


def safe_name(name: str) -> str:
    """The file's own name, without a path or odd characters, at most 120 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "receipt"
    return cleaned[-120:]


@dataclass(frozen=True)
class Refusal:
    """Why a file was refused: a catalog key and its values (``error.receipt_type``…)."""

    key: str
    name: str


def encode(ref: ReceiptRef) -> str:
    """A reference as one hidden form field, so a re-posted form (add a line…) keeps what was uploaded."""
    return "|".join((ref.key, ref.sha256, str(ref.size), ref.content_type, ref.name))


def decode(raw: str, case_id: str) -> ReceiptRef | None:
    """A hidden field back into a reference; anything else (tampered, another case's) is dropped."""
    parts = raw.split("|", 4)
    if len(parts) != 5 or not parts[2].isdigit():
        return None
    key, sha, size, kind, name = parts
    if key != f"receipts/{case_id}/{sha}":
        return None
    try:
        return ReceiptRef(key=key, sha256=sha, size=int(size), content_type=kind, name=name)  # type: ignore[arg-type]
    except ValueError:
        return None


def take_uploads(store: DocumentStore, case_id: str, files: Iterable[tuple[str, bytes]],
                 already: int) -> tuple[list[ReceiptRef], list[Refusal]]:
    """Store each acceptable file (content-addressed, so the same photo twice is stored once)."""
    refs: list[ReceiptRef] = []
    refused: list[Refusal] = []
    for name, data in files:
        shown = safe_name(name)
        if not data:
            continue
        if len(data) > MAX_RECEIPT_BYTES:
            refused.append(Refusal("error.receipt_size", shown))
            continue
        kind = sniff(data)
        if kind is None:
            refused.append(Refusal("error.receipt_type", shown))
            continue
        if already + len(refs) >= MAX_RECEIPTS_PER_REPORT:
            refused.append(Refusal("error.receipt_count", shown))
            continue
        sha = hashlib.sha256(data).hexdigest()
        key = f"receipts/{case_id}/{sha}"
        store.put(key, data)
        refs.append(ReceiptRef(key=key, sha256=sha, size=len(data), content_type=kind, name=shown))  # type: ignore[arg-type]
    return refs, refused
