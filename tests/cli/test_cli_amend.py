"""``casefac amend``: staff correct a party's email on a running case; a malformed one is refused (exit 2)."""

from __future__ import annotations

from tests.cli.conftest import CliWorld


async def test_amend_the_defenders_email_and_the_timeline_says_so(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.assign("DEF-GT-001")
    ran = await world.cli("amend", case.case_id, "--defender-email", "nueva@defensoras.example.org",
                          "--note", "bounced")
    assert ran.code == 0, ran.text
    assert "Defender's email corrected" in ran.out
    s = await case.status()
    assert any("email corrected by staff (bounced)" in e.event for e in s.timeline)
    bad = await world.cli("amend", case.case_id, "--advocate-email", "not-an-address")
    assert bad.code == 2
    both = await world.cli("amend", case.case_id, "--advocate-email", "a@b.example.org", "--defender-email",
                           "c@d.example.org")
    assert both.code == 2
