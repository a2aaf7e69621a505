"""Read commands: ``status`` (Rich and --json), ``list`` (visibility filters), ``defenders`` (the roster)."""

from __future__ import annotations

import json

import pytest

from casefac.case import CaseStage
from casefac.status import CaseStatus
from tests.cli.conftest import CliWorld
from tests.conftest import eventually


async def test_status_shows_stage_and_who_it_waits_on(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    ran = await world.cli("status", case.case_id)
    assert ran.code == 0, ran.text
    assert f"Case {case.case_id}" in ran.out and "REVIEW" in ran.out
    assert "Waiting on  staff to review the case and assign a Defender" in ran.out
    assert "since" in ran.out and ("ago" in ran.out or "just now" in ran.out)
    assert "opened" in ran.out  # the timeline
    as_json = await world.cli("status", case.case_id, "--json")
    status = CaseStatus.model_validate_json(as_json.out)
    assert status.case_id == case.case_id and status.stage == CaseStage.REVIEW


async def test_status_of_a_finished_case_reads_its_result(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    assert (await world.cli("review", case.case_id, "--reason", "Not a facilitation")).code == 0
    await case.stage(CaseStage.DECLINED)
    ran = await world.cli("status", case.case_id)
    assert ran.code == 0 and "DECLINED" in ran.out and "nobody: the case is finished" in ran.out


async def test_status_of_an_unknown_case(world: CliWorld) -> None:
    ran = await world.cli("status", "JIM-2026-000000")
    assert ran.code == 1 and ran.err.startswith("error: no such case") and "Traceback" not in ran.text


async def test_list_filters_by_search_attributes(world: CliWorld) -> None:
    gt = await world.harness.open(country="GT")
    sv = await world.harness.open(country="SV")
    await gt.until(lambda s: s.waiting is not None, "waiting for review")
    assert (await world.cli("assign", gt.case_id, "--defender", "DEF-GT-003")).code == 0

    async def listing(*args: str) -> dict[str, object]:
        ran = await world.cli("list", "--json", *args)
        assert ran.code == 0, ran.text
        return json.loads(ran.out)

    def ids(result: dict[str, object]) -> set[str]:
        return {c["case_id"] for c in result["cases"]}  # type: ignore[attr-defined,index]

    by_defender = await eventually(lambda: listing("--defender", "DEF-GT-003"), lambda r: gt.case_id in ids(r),
                                   what="case listed by Defender")
    assert sv.case_id not in ids(by_defender)
    by_country = await eventually(lambda: listing("--country", "sv", "--stage", "review"),
                                  lambda r: sv.case_id in ids(r), what="case listed by country")
    assert gt.case_id not in ids(by_country)
    assert "CaseCountry = 'SV'" in by_country["query"]  # type: ignore[operator]
    table = await world.cli("list", "--country", "SV")
    assert sv.case_id in table.out and "CaseCountry" not in table.out  # the query is shown with --json only


@pytest.mark.parametrize(("flag", "value"), [("--stage", "DONE"), ("--country", "US"), ("--defender", "x' OR 1=1"),
                                             ("--invoice-status", "late")])
async def test_list_refuses_values_outside_their_sets(world: CliWorld, flag: str, value: str) -> None:
    ran = await world.cli("list", flag, value)
    assert ran.code == 2 and flag in ran.err


async def test_defenders_table_and_json(world: CliWorld) -> None:
    ran = await world.cli("defenders", "--country", "GT")
    assert ran.code == 0 and "DEF-GT-001" in ran.out and "DEF-MX-001" not in ran.out
    assert "Stripe Connect" in ran.out and "manual" in ran.out
    listed = json.loads((await world.cli("defenders", "--json")).out)
    assert {d["country"] for d in listed} == {"MX", "GT", "SV", "HN", "NI"}
