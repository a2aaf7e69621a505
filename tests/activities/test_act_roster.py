"""LOAD_ROSTER: the sample roster, country filter, and a broken file named precisely."""

from __future__ import annotations

import os
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


async def test_roster_is_parsed_once_and_reread_after_an_edit(tmp_path: Path) -> None:
    """The parse is cached per file version: unchanged file → the same object; an edit → the new roster."""
    source = (PACKAGE_DIR / "data" / "roster.yaml").read_text(encoding="utf-8")
    path = tmp_path / "roster.yaml"
    path.write_text(source, encoding="utf-8")
    activities = RosterActivities(path)
    first = activities.read()
    assert activities.read() is first
    edited = source.replace("DEF-HN-002", "DEF-HN-009")
    path.write_text(edited, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a coarse clock must not hide the edit
    second = activities.read()
    assert second is not first
    assert second.get("DEF-HN-009") is not None and second.get("DEF-HN-002") is None
    path.unlink()
    with pytest.raises(ApplicationError):
        activities.read()
