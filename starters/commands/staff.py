"""``casefac staff add/list/revoke``: the staff directory of signing keys (security review C2 §3).

``add`` makes an Ed25519 key pair on THIS computer: the private key stays here (0600, in the member's own
config dir), the public key goes to the staff directory in the case record, which the workflows load. Run
it on the member's own computer (or hand the key file over once, then delete it). Adding a member who has
a key already rotates it: the old key is revoked, what it signed stays attributable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from starters.cli_runtime import actor, console, fail, load_settings

StaffIdArg = Annotated[str, typer.Argument(help="The member's staff id, e.g. coord.ana (no names).",
                                           show_default=False)]
ByOpt = Annotated[str | None, typer.Option("--as", envvar="CASEFAC_STAFF_ID", show_envvar=True,
                                           help="Your staff id (recorded as who changed the directory).")]


def _by(who: str | None) -> str:
    return actor(who).id if who else "cli"


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Staff signing keys: who may act on cases as staff or finance.",
                        rich_markup_mode="rich", no_args_is_help=True)
    app.add_typer(group, name="staff")

    @group.command("add")
    def add(
        staff_id: StaffIdArg,
        role: Annotated[str, typer.Option(help="staff or finance")] = "staff",
        name: Annotated[str | None, typer.Option(help="Display name for `casefac staff list` (sealed).")] = None,
        keys_dir: Annotated[Path | None, typer.Option(help="Where to save the private key (default: "
                                                      "staff.keys_dir, or ~/.config/casefac/staff).")] = None,
        by: ByOpt = None,
    ) -> None:
        """Create a key pair for a member and register its public key (rotates an existing one)."""
        from starters.record_access import open_records
        from starters.staff_signing import enroll

        if role not in ("staff", "finance"):
            fail("--role: staff or finance", 2)
        member = actor(staff_id).id
        settings = load_settings()
        with open_records(settings):  # exit 1 with the reason when the record cannot be written
            pass
        entry, path = enroll(settings, member, role, by=_by(by), name=name,
                             keys_dir=keys_dir.expanduser() if keys_dir else None)
        console.print(f"[green]✓[/] {escape(member)} ({role}): key {entry.key_id} registered; private key "
                      f"{escape(str(path))} (mode 600, keep it on this computer only)")

    @group.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
        """Members, roles, key fingerprints, added and revoked dates (no private material)."""
        from records.staff_directory import StaffDirectoryStore
        from starters.record_access import open_records

        settings = load_settings()
        with open_records(settings) as records:
            store = StaffDirectoryStore(records.engine, records.sealer)
            keys, names = store.directory().keys, store.names()
        if as_json:
            console.print_json(json.dumps([{**k.model_dump(mode="json", exclude={"public_key"}),
                                            "name": names.get(k.key_id)} for k in keys]))
            return
        table = Table(title="Staff directory")
        for column in ("staff id", "role", "key id", "name", "added", "revoked"):
            table.add_column(column)
        for k in keys:
            table.add_row(k.staff_id, k.role, k.key_id, names.get(k.key_id) or "", f"{k.added_at:%Y-%m-%d %H:%M}",
                          f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "")
        console.print(table)

    @group.command("revoke")
    def revoke(staff_id: StaffIdArg, by: ByOpt = None) -> None:
        """Revoke a member's keys: new updates signed with them are refused; what they signed stays verifiable."""
        from records.staff_directory import StaffDirectoryStore, UnknownStaff
        from starters.record_access import open_records

        settings = load_settings()
        with open_records(settings) as records:
            try:
                revoked = StaffDirectoryStore(records.engine).revoke(actor(staff_id).id, by=_by(by),
                                                                     at=datetime.now(UTC))
            except UnknownStaff as exc:
                fail(str(exc))
        console.print(f"[green]✓[/] revoked {escape(staff_id)}'s key{'s' if len(revoked) > 1 else ''} "
                      f"{', '.join(revoked)}; running cases refuse it once they refresh their staff directory "
                      "(at most 15 minutes)")
