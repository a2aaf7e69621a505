"""``casefac open``: flags, case files, every validation error with its field path, duplicates, identity."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from casefac import search_attributes as sa
from casefac.case import CaseStage
from starters.cases import case_handle, read_status
from tests.cli.conftest import CliWorld
from tests.conftest import eventually


def _case_id() -> str:
    return f"JIM-2026-{random.randint(100_000, 999_999)}"


def _flags(case_id: str) -> list[str]:
    return ["open", "--case-id", case_id, "--advocate-id", "ADV-0042", "--advocate-name", "Dana Whitfield",
            "--advocate-org", "Whitfield Immigration Law", "--advocate-email", "dana@whitfield-law.example.com",
            "--advocate-country", "US", "--client-name", "Rosa Ixchel Coc", "--client-location", "Cobán",
            "--country", "GT", "--matter-type", "protection", "--service", "locate_client", "--service",
            "document_collection", "--description", "Locate the client for her asylum hearing.",
            "--deadline", "2030-01-31", "--budget-cap", "1,500.00"]


def _document(case_id: str) -> dict[str, object]:
    return {"case_id": case_id,
            "advocate": {"id": "ADV-0043", "name": "Luc Tremblay", "organization": "Tremblay Avocats",
                         "email": "luc@tremblay.example.ca", "country": "CA", "language": "fr",
                         "billing_currency": "CAD"},
            "client": {"full_name": "Ana María López"}, "country": "HN", "matter_type": "rights_violation",
            "services": ["witness_affidavit"], "description": "A witness affidavit from the employer's town.",
            "budget_cap": "CAD 800.00"}


async def test_open_with_flags_starts_the_case_with_its_search_attributes(world: CliWorld) -> None:
    case_id = _case_id()
    ran = await world.cli(*_flags(case_id))
    assert ran.code == 0, ran.text
    assert f"opened case {case_id}" in ran.out
    assert "casefac assign" in ran.out and "DEF-GT-001" in ran.out  # the next step, with eligible Defenders
    status = await eventually(lambda: read_status(world.env.client, case_id),
                              lambda s: s.waiting is not None, what="waiting for review")
    assert status.stage == CaseStage.REVIEW and status.country == "GT"
    described = await case_handle(world.env.client, case_id).describe()
    attrs = described.typed_search_attributes
    assert attrs.get(sa.CASE_STAGE) == "REVIEW" and attrs.get(sa.ADVOCATE_ID) == "ADV-0042"


async def test_open_from_a_yaml_file_with_a_flag_override(world: CliWorld, tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    case_file.write_text(yaml.safe_dump(_document("JIM-2026-0001")), encoding="utf-8")
    case_id = _case_id()
    ran = await world.cli("open", "--file", str(case_file), "--case-id", case_id)
    assert ran.code == 0, ran.text
    status = await read_status(world.env.client, case_id)
    assert status.country == "HN" and status.advocate_language == "fr"


async def test_open_from_a_json_file(world: CliWorld, tmp_path: Path) -> None:
    case_id = _case_id()
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(_document(case_id)), encoding="utf-8")
    ran = await world.cli("open", "-f", str(case_file))
    assert ran.code == 0, ran.text


async def test_every_validation_error_is_listed_with_its_field_path(world: CliWorld, tmp_path: Path) -> None:
    doc = _document("JIM-26-1")
    doc["advocate"] = {**doc["advocate"], "email": "not-an-email", "country": "MX"}  # type: ignore[dict-item]
    doc["country"] = "US"
    doc["services"] = []
    case_file = tmp_path / "bad.yaml"
    case_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    ran = await world.cli("open", "-f", str(case_file))
    assert ran.code == 2
    for path in ("case_id:", "advocate.email:", "advocate.country:", "country:", "services:"):
        assert path in ran.err, ran.err
    assert "Traceback" not in ran.text


async def test_a_float_amount_in_a_file_is_refused(world: CliWorld, tmp_path: Path) -> None:
    doc = _document(_case_id())
    doc["budget_cap"] = 800.5
    case_file = tmp_path / "float.yaml"
    case_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    ran = await world.cli("open", "-f", str(case_file))
    assert ran.code == 2 and "never a float" in ran.err


async def test_bad_amount_flag_and_missing_file(world: CliWorld, tmp_path: Path) -> None:
    flags = _flags(_case_id())
    flags[flags.index("--budget-cap") + 1] = "1500.005"
    ran = await world.cli(*flags)
    assert ran.code == 2 and "more than 2 decimals" in ran.err
    ran = await world.cli("open", "-f", str(tmp_path / "missing.yaml"))
    assert ran.code == 2 and "cannot read case file" in ran.err


async def test_a_case_id_is_never_reused(world: CliWorld) -> None:
    case_id = _case_id()
    assert (await world.cli(*_flags(case_id))).code == 0
    ran = await world.cli(*_flags(case_id))
    assert ran.code == 1
    assert "already exists" in ran.err and "Traceback" not in ran.text


async def test_the_actor_must_be_named_and_well_formed(world: CliWorld) -> None:
    ran = await world.cli(*_flags(_case_id()), env={"CASEFAC_STAFF_ID": ""})
    assert ran.code == 2 and "--as" in ran.err
    ran = await world.cli(*_flags(_case_id()), "--as", "Ana López")
    assert ran.code == 2 and "staff id" in ran.err
