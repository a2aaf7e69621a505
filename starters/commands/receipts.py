"""``casefac receipts CASE REPORT``: the receipts a Defender attached to a report, and extracting them.

The files are stored encrypted in the document store (``casefac.documents``); the report keeps only their
references. ``--extract DIR`` decrypts each into DIR as an owner-only (0600) file, after checking its
sha256 against the reference, so staff open exactly what the Defender sent.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Annotated

import typer

from casefac.documents import check_key, document_store
from casefac.report import ReceiptRef
from casefac.status import CaseStatus
from starters.cases import read_status
from starters.cli_runtime import connect, console, fail, load_settings, run
from starters.commands.cases import CaseArg
from starters.receipt_names import unique_name


def register(app: typer.Typer) -> None:
    @app.command()
    def receipts(
        case_id: CaseArg,
        report: Annotated[int, typer.Argument(min=1, help="The report number.")],
        extract: Annotated[Path | None, typer.Option(help="Decrypt the receipts into this folder (0600 files).")]
        = None,
    ) -> None:
        """List the receipts attached to a report; --extract DIR writes them out for reading."""
        settings = load_settings()

        async def go() -> CaseStatus:
            return await read_status(await connect(settings), case_id)

        status = run(settings, go())
        view = next((r for r in status.reports if r.number == report), None)
        if view is None:
            fail(f"case {case_id} has no report {report}", 1)
            return
        if not view.receipts:
            console.print(f"report {report} has no receipts")
            return
        for ref in view.receipts:
            console.print(f"{ref.name}  ·  {ref.content_type}  ·  {ref.size:,} bytes  ·  sha256 {ref.sha256[:16]}…")
        if extract is None:
            return
        store = document_store(settings)
        extract.mkdir(parents=True, exist_ok=True, mode=0o700)
        taken: set[str] = set()
        for ref in view.receipts:
            data = store.get(store.root.joinpath(*check_key(ref.key)).as_uri())
            if hashlib.sha256(data).hexdigest() != ref.sha256:
                fail(f"{ref.name}: the stored file does not match its sha256; not written", 1)
            target = extract / unique_name(ref.name, taken)
            _write_private(target, data)
            console.print(f"[green]✓[/] {target}")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


__all__ = ["ReceiptRef", "register"]
