"""LOAD_ROSTER: the sample roster, country filter, and a broken file named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.roster import RosterActivities
from casefac.activity_io import LoadRoster, RosterSnapshot
from casefac.settings import PACKAGE_DIR


async def load(path: Path, country: str | None = None) -> RosterSnapshot:
    result: RosterSnapshot = await ActivityEnvironment().run(RosterActivities(path).load_roster,
                                                             LoadRoster(country=country))  # type: ignore[arg-type]
    return result


async def test_sample_roster() -> None:
    snapshot = await load(PACKAGE_DIR / "data" / "roster.yaml")
    assert len(snapshot.defenders) == 13
    honduras = await load(PACKAGE_DIR / "data" / "roster.yaml", "HN")
    assert {d.id for d in honduras.defenders} == {"DEF-HN-001", "DEF-HN-002"}


@pytest.mark.parametrize(("text", "expected"), [
    ("defenders:\n  - id: DEF-1\n    name: A\n    email: not-an-email\n    country: MX\n    services: [locate_client]\n"
     "    hourly_rate: {amount: 1, currency: USD}\n", "defenders.0.email"),
    ("defenders:\n  - id: DEF-1\n    name: A\n    email: a@b.org\n    country: US\n    services: [locate_client]\n"
     "    hourly_rate: {amount: 1, currency: USD}\n", "defenders.0.country"),
    ("defenders: [\n  {id: DEF-1\n", "not valid YAML at line"),
])
async def test_invalid_roster_names_the_problem(tmp_path: Path, text: str, expected: str) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(text, encoding="utf-8")
    with pytest.raises(ApplicationError) as caught:
        await load(roster)
    assert caught.value.type == "RosterInvalid" and caught.value.non_retryable
    assert expected in caught.value.message
    assert "not-an-email" not in caught.value.message


async def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as caught:
        await load(tmp_path / "nope.yaml")
    assert caught.value.type == "RosterInvalid"
