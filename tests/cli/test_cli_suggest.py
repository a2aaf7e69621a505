"""``casefac suggest`` and assigning with ``--override``, against a real dev server (fake providers)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import yaml

from casefac.settings import PACKAGE_DIR
from tests.cli.conftest import CliWorld


async def test_suggest_ranks_the_countrys_defenders_with_reasons(world: CliWorld) -> None:
    case = await world.harness.open()  # GT; locate client + document collection; an English-writing Advocate
    ran = await world.cli("suggest", case.case_id, "--json")
    assert ran.code == 0, ran.text
    answer = json.loads(ran.out)
    ranked = [s["defender_id"] for s in answer["suggestions"]]
    assert ranked and all(d.startswith("DEF-GT-") for d in ranked)
    scores = [s["score"] for s in answer["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    # DEF-GT-003 collects documents but does not locate clients: below DEF-GT-001, who does both.
    by_id = {s["defender_id"]: s for s in answer["suggestions"]}
    assert "offers every requested service" in [f["reason"] for f in by_id["DEF-GT-001"]["factors"]]
    assert "does not offer locate client" in [f["reason"] for f in by_id["DEF-GT-003"]["factors"]]
    assert ranked.index("DEF-GT-001") < ranked.index("DEF-GT-003")
    assert "the roster is read from" in ran.err  # no roster in the record yet: the file stands in, and says so

    ran = await world.cli("suggest", case.case_id)
    assert ran.code == 0 and "Suggested Defenders" in ran.out and "offers every requested service" in ran.out
    assert f"next: casefac assign {case.case_id} --defender {ranked[0]}" in ran.out


async def test_assigning_someone_away_needs_a_recorded_override(world: CliWorld, tmp_path: Path) -> None:
    roster = yaml.safe_load((PACKAGE_DIR / "data" / "roster.yaml").read_text(encoding="utf-8"))
    away_until = date.today() + timedelta(days=7)
    for entry in roster["defenders"]:
        if entry["id"] == "DEF-GT-001":
            entry["away"] = [{"starts_on": (date.today() - timedelta(days=1)).isoformat(),
                              "ends_on": away_until.isoformat()}]
    file = tmp_path / "roster.yaml"
    file.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    env = {"CASEFAC_ROSTER_FILE": str(file)}
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")

    ran = await world.cli("suggest", case.case_id, env=env)
    assert ran.code == 0 and f"DEF-GT-001 is away until {away_until.isoformat()}" in ran.out, ran.text
    assert "--override" in ran.out

    ran = await world.cli("assign", case.case_id, "--defender", "DEF-GT-001", env=env)
    assert ran.code == 1 and "is away until" in ran.err and "--override" in ran.err, ran.text
    assert (await case.status()).defender_id is None  # nothing was sent to the case

    ran = await world.cli("assign", case.case_id, "--defender", "DEF-GT-001", "--override",
                          "Her trip was cancelled; she asked for this case", env=env)
    assert ran.code == 0, ran.text
    status = await case.until(lambda s: s.defender_id == "DEF-GT-001", "offered")
    assert any("override: Her trip was cancelled; she asked for this case" in t.event for t in status.timeline)
