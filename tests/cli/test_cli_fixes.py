"""The CLI fixes of issue 15: what a REVIEW case asks for, words instead of codes, ids in any case, the sample
case file, ``--adjust`` in the case's currency, the digests' schedules, and a ``--help`` that imports nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from starters.stack.spec import REPO_ROOT
from tests.cli.conftest import CliWorld
from tests.cli.test_cli_case_flow import _in_payment

EXAMPLE = REPO_ROOT / "examples" / "case.yaml"


async def test_status_of_a_review_case_shows_what_the_advocate_asked_for(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    ran = await world.cli("status", case.case_id.lower())  # ids in any case
    assert ran.code == 0, ran.text
    assert "Asked for" in ran.out and "services: Locate the client; Collect documents" in ran.out
    assert f"deadline: {case.req.deadline:%Y-%m-%d}" in ran.out and "budget cap: none given" in ran.out
    assert "description: Locate the client and obtain her birth certificate" in ran.out
    assert "not requested yet" in ran.out and "not_requested" not in ran.out


async def test_status_names_who_signed_not_recipient_numbers(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.to_assignment()
    ran = await world.cli("status", case.case_id)
    assert "signed by the Advocate, the Defender, JiM" in ran.out and "recipients" not in ran.out


async def test_commands_take_case_ids_in_any_case(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    ran = await world.cli("assign", case.case_id.lower(), "--defender", "DEF-GT-001")
    assert ran.code == 0 and "offered to DEF-GT-001" in ran.out


async def test_the_readmes_sample_case_file_opens_a_case(world: CliWorld) -> None:
    case_id = f"JIM-2026-8{time.time_ns() % 100_000:05d}"
    ran = await world.cli("open", "-f", str(EXAMPLE), "--case-id", case_id)
    assert ran.code == 0, ran.text
    assert f"opened case {case_id}" in ran.out


async def test_adjustments_are_in_the_cases_billing_currency(world: CliWorld) -> None:
    case = await _in_payment(world, currency="CAD")
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:CAD=0.18", "--rate", "USD:CAD=1.36",
                          "--rate", "GTQ:USD=0.13", "--adjust", "Courtesy discount=-10.00")
    assert ran.code == 0, ran.text  # before: "-10.00" was read as USD on a CAD invoice and refused
    status = await case.until(lambda s: bool(s.invoices), "invoiced")
    assert status.invoices[0].amount_due.currency == "CAD"


async def test_review_report_on_a_usd_case_still_reads_usd(world: CliWorld) -> None:
    case = await _in_payment(world)
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13",
                          "--adjust", "Discount=-1.00")
    assert ran.code == 0, ran.text


async def test_schedules_apply_is_idempotent(world: CliWorld, tmp_path: Path) -> None:
    readers = tmp_path / "digests.yaml"
    readers.write_text("staff:\n  - {email: coord.gt@justiceinmotion.example.org, language: es}\n"
                       "finance:\n  - {email: finance@justiceinmotion.example.org}\n", encoding="utf-8")
    first = await world.cli("schedules", "apply", "--readers", str(readers))
    assert first.code == 0, first.text
    assert "digest-staff-daily: created" in first.out or "digest-staff-daily: updated" in first.out
    second = await world.cli("schedules", "apply", "--readers", str(readers))
    assert "digest-staff-daily: updated" in second.out and "digest-finance-weekly: updated" in second.out
    schedules = [s.id async for s in await world.env.client.list_schedules()]
    assert sorted(schedules).count("digest-staff-daily") == 1
    listed = await world.cli("schedules", "list")
    assert "digest-staff-daily: Monday–Friday 07:00 America/Guatemala · next" in listed.out
    bad = tmp_path / "bad.yaml"
    bad.write_text("staff:\n  - {email: not-an-address}\n", encoding="utf-8")
    refused = await world.cli("schedules", "apply", "--readers", str(bad))
    assert refused.code == 2 and "bad.yaml" in refused.err


def test_help_imports_no_command_module() -> None:
    """``casefac --help`` lists every command from the table in ``starters/cli.py``: nothing heavy is imported."""
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom starters.cli import app\n"
            "out = CliRunner().invoke(app, ['--help']).output\n"
            "heavy = sorted(m for m in ('temporalio', 'sqlalchemy', 'alembic', 'casefac.settings',"
            " 'starters.commands.views')"
            " if m in sys.modules)\n"
            "import json; print(json.dumps({'heavy': heavy, 'out': out}))")
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(REPO_ROOT)}
    ran = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         check=True)
    found = json.loads(ran.stdout)
    assert found["heavy"] == []
    for command in ("today", "money", "status", "list", "schedules", "open", "record-payout", "defenders"):
        assert f" {command} " in found["out"]


def test_every_lazy_command_is_in_its_module() -> None:
    from starters.cli import LAZY, load

    for name in LAZY:
        assert load(name).name == name
