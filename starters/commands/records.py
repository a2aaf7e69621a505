"""Commands about a case's records and the encryption keys: ``ledes`` (the e-billing file of an approved
report) and ``keys`` (list the key ring, add a key and make it current)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from temporalio.service import RPCError, RPCStatusCode

from starters.cli_runtime import connect, console, fail, load_settings, run
from starters.parsing import case_id as parse_case_id
from starters.record_access import existing_records

if TYPE_CHECKING:
    from casefac.keyring import KeyRing
    from casefac.settings import Settings


def register(app: typer.Typer) -> None:
    @app.command()
    def ledes(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                               callback=parse_case_id)],
        report: Annotated[int, typer.Option(min=1, help="Report number (see `casefac status`).")] = 1,
        output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: "
                                                    "<CASE-ID>-report-<N>.ledes.txt).")] = None,
    ) -> None:
        """Write the LEDES 1998B file of an approved report, for the Advocate's e-billing system."""
        from casefac import ledes as ledes_format
        from starters.cases import case_handle

        settings = load_settings()

        async def go() -> tuple[bool, str | None]:
            handle = case_handle(await connect(settings), case_id)
            try:
                return True, await handle.query("ledes", report, result_type=str | None)  # type: ignore[arg-type]
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                return False, None  # Temporal no longer holds the case: the record kept its LEDES files

        in_temporal, text = run(settings, go())
        if not in_temporal:
            with existing_records(settings) as records:
                if records is None or records.reader.holds(case_id) is None:
                    fail(f"no such case {case_id}: neither Temporal nor the case record holds it")
                text = records.reader.ledes(case_id, report)
            if text is not None:
                console.print(f"[dim]from the case record (Temporal no longer holds {case_id})[/]")
        if text is None:
            fail(f"report {report} of case {case_id} is not approved and invoiced yet: no LEDES file")
        path = output or Path(ledes_format.filename(case_id, report))
        path.write_bytes(text.encode("ascii"))
        items = [line for line in text.splitlines()[2:] if line]  # after the format line and the field names
        console.print(f"[green]✓[/] LEDES 1998B for {case_id} report {report} written to {path} "
                      f"({len(items)} line items)")

    keys = typer.Typer(help="The payload key ring: rotate keys without breaking running cases.",
                       no_args_is_help=True)
    app.add_typer(keys, name="keys")

    @keys.command("list")
    def list_keys() -> None:
        """Key ids in the ring and which one encrypts new payloads (never the keys themselves)."""
        ring = _load_ring(load_settings())
        for key_id in sorted(ring.keys):
            console.print(f"{key_id}{'  (current)' if key_id == ring.current else ''}")

    @keys.command("new")
    def new_key() -> None:
        """Add a key and make it current. Old keys stay, so every existing payload still decodes."""
        settings = load_settings()
        ring = _load_ring(settings)
        key_id = ring.add_new_key(make_current=True)
        ring.save(settings.keyring_path)
        console.print(f"[green]✓[/] key {key_id} added to {settings.keyring_path} and made current "
                      f"({len(ring.keys)} keys).")
        console.print("Restart every worker and the gateway with this ring: until they do, they cannot read "
                      "what the restarted ones write (webhooks get 503 and are retried; nothing is lost).")


def _load_ring(settings: Settings) -> KeyRing:
    """The configured key ring, or one line saying why not (and where rings come from)."""
    from casefac.keyring import KeyRing, KeyRingError

    try:
        return KeyRing.load(settings.keyring_path)
    except KeyRingError as exc:
        fail(f"{exc} (`casefac up` creates a development key ring; production rings are provisioned)")
