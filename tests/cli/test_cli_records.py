"""``casefac ledes`` writes an approved report's LEDES file; ``casefac keys`` rotates the payload key ring."""

from __future__ import annotations

import shutil
from pathlib import Path

from casefac.case import CaseStage
from casefac.keyring import KeyRing
from casefac.report import ReportKind
from tests.cli.conftest import CliWorld


async def test_ledes_for_an_approved_report_and_a_clear_refusal_before(world: CliWorld, tmp_path: Path) -> None:
    case = await world.harness.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.FINAL))
    early = await world.cli("ledes", case.case_id, "--report", str(number), "-o", str(tmp_path / "x.txt"))
    assert early.code == 1 and "not approved and invoiced yet" in early.err
    await case.approve(number)
    await case.until(lambda s: bool(s.invoices) and s.stage == CaseStage.EVALUATION, "invoiced")
    out = tmp_path / "ledes.txt"
    ran = await world.cli("ledes", case.case_id, "--report", str(number), "-o", str(out))
    assert ran.code == 0, ran.text
    lines = out.read_bytes().decode("ascii").split("\r\n")
    assert lines[0] == "LEDES1998B[]" and lines[1].startswith("INVOICE_DATE|INVOICE_NUMBER|")
    items = [ln for ln in lines[2:] if ln]
    assert len(items) == 2 and all(ln.endswith("[]") and ln.count("|") == 23 for ln in items)
    assert "2 line items" in ran.out


async def test_keys_new_adds_a_current_key_and_keeps_the_old(world: CliWorld, tmp_path: Path) -> None:
    ring_file = tmp_path / "keyring.json"
    shutil.copy(world.shell["CASEFAC_KEYRING_FILE"], ring_file)
    env = {"CASEFAC_KEYRING_FILE": str(ring_file)}
    before = KeyRing.load(ring_file)
    ran = await world.cli("keys", "new", env=env)
    assert ran.code == 0, ran.text
    after = KeyRing.load(ring_file)
    assert set(before.keys) < set(after.keys) and after.current != before.current
    listed = await world.cli("keys", "list", env=env)
    assert f"{after.current}  (current)" in listed.out and before.current in listed.out
    assert before.keys[before.current].get_secret_value() not in listed.out  # ids only, never keys
    missing = await world.cli("keys", "new", env={"CASEFAC_KEYRING_FILE": str(tmp_path / "none.json")})
    assert missing.code == 1 and "casefac up" in missing.err
