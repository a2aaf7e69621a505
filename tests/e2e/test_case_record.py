"""The case record outlives Temporal: a whole case on the real stack, then a Temporal that forgot it.

The worker writes the record through ``records.write`` (real activity, real SQLite file). Then the CLI
talks to a Temporal that does not hold the case, as after the namespace's retention: ``casefac status``,
``ledes``, ``list --closed`` answer from the record and ``casefac open`` still refuses the id.

Why not ``temporal workflow delete`` here: the dev server deletes asynchronously. On ``casefac up``'s SQLite
store the deleted demo case was gone about 45 s later (checked by hand: ``casefac status --json`` then
answered from the record); in a test's in-memory server it was still served two minutes later. So the
forgetting Temporal is a second, empty dev server, which answers NOT_FOUND as a server past retention does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from casefac import search_attributes as sa
from casefac.keyring import KeyRing
from casefac.status import CaseStatus
from records.connect import Records
from records.models import CaseRow
from starters.cli import app
from tests.conftest import binary

from .journey import full_case
from .world import World

pytestmark = pytest.mark.integration


async def _cli(world: World, temporal: str, *args: str) -> tuple[int, str]:
    env = {"CASEFAC_TEMPORAL__ADDRESS": temporal, "CASEFAC_DATA_DIR": str(world.settings.data_dir),
           "CASEFAC_KEYRING_FILE": str(world.settings.keyring_path), "CASEFAC_STAFF_ID": "coord.ana"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


async def _unknown(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        return exc.status == RPCStatusCode.NOT_FOUND
    return False


@pytest.fixture(scope="module")
async def forgetful() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal that holds none of the world's cases (what retention leaves behind)."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL))
    yield env
    await env.shutdown()


async def test_a_forgotten_case_still_answers_from_the_record(world: World, forgetful: WorkflowEnvironment,
                                                            tmp_path: Path) -> None:
    case = await full_case(world)
    status: CaseStatus = await case.handle.result()
    ledes_before = await case.handle.query("ledes", 1, result_type=str)

    # What the record holds equals what the status said at close.
    records = Records.from_settings(world.settings, KeyRing.load(world.settings.keyring_path))
    try:
        recorded = records.reader.case(case.case_id)
    finally:
        records.close()
    assert recorded is not None and recorded.record_seq == status.record_seq == status.record_written
    same = ("case_id", "stage", "country", "services", "deadline", "advocate_id", "billing_currency", "defender_id",
            "agreement", "invoices", "payouts", "money", "reports", "evaluations_from", "outcome")
    assert {k: getattr(recorded, k) for k in same} == {k: getattr(status, k) for k in same}
    assert [(t.id, t.status, t.description, t.notes) for t in recorded.tasks] == [
        (t.id, t.status, t.description, t.notes) for t in status.tasks]
    assert status.contract is not None
    assert recorded.contract[-1].number == status.contract.number and recorded.contract[-1].signed
    assert recorded.contract[-1].approvals == [r.value for r in status.contract.approvals]

    # Temporal forgets the case (what retention does), the record does not.
    temporal = forgetful.client.service_client.config.target_host
    assert await _unknown(forgetful.client, case.handle.id)

    code, out = await _cli(world, temporal, "status", case.case_id, "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["source"] == "record" and answer["stage"] == "CLOSED"
    assert answer["money"] == json.loads(status.money.model_dump_json())
    assert [i["status"] for i in answer["invoices"]] == ["paid"]

    code, out = await _cli(world, temporal, "status", case.case_id)
    assert code == 0 and "from the case record, closed" in out, out

    target = tmp_path / "ledes.txt"
    code, out = await _cli(world, temporal, "ledes", case.case_id, "--report", "1", "-o", str(target))
    assert code == 0 and "from the case record" in out, out
    assert target.read_bytes().decode("ascii") == ledes_before

    code, out = await _cli(world, temporal, "list", "--closed", "--json")
    assert code == 0, out
    assert case.case_id in [c["case_id"] for c in json.loads(out)["cases"]]

    html = tmp_path / "report.html"
    year = f"{status.timeline[0].at:%Y}"
    code, out = await _cli(world, temporal, "report", "--from", f"{year}-01-01", "--to", f"{year}-12-31",
                           "--format", "html", "-o", str(html))
    assert code == 0, out
    page = html.read_text(encoding="utf-8")
    assert "DEF-GT-001" in page and case.req.advocate.organization in page  # the case is in the figures
    assert case.req.client.full_name not in page and case.req.advocate.name not in page  # no names by default

    code, out = await _cli(world, temporal, "open", "--case-id", case.case_id, "--advocate-id", "ADV-REUSE",
                           "--advocate-name", "Lee Park", "--advocate-org", "Park Law", "--advocate-email",
                           "lee@park-law.example.com", "--advocate-country", "US", "--client-name", "Someone Else",
                           "--country", "GT", "--matter-type", "protection", "--service", "locate_client",
                           "--description", "A second case under a reused id")
    assert code == 1 and "already in the case record (CLOSED" in out, out
    assert await _unknown(forgetful.client, case.handle.id)  # refused before anything reached Temporal


async def test_sync_backfills_cases_missing_from_the_record_and_twice_is_once(world: World) -> None:
    closed = await full_case(world)
    await closed.handle.result()
    running = await world.harness.open()
    await running.assign("DEF-GT-001")
    await running.until(lambda s: s.record_written == s.record_seq, "its record written")
    records = Records.from_settings(world.settings, KeyRing.load(world.settings.keyring_path))
    try:
        with records.engine.begin() as connection:  # as if both had started before the record existed
            connection.execute(delete(CaseRow).where(CaseRow.case_id.in_([closed.case_id, running.case_id])))
        assert records.reader.holds(closed.case_id) is None and records.reader.holds(running.case_id) is None

        code, out = await _cli(world, world.target, "records", "sync")
        assert code == 0 and " 0 written" not in out, out
        back_closed, back_running = records.reader.case(closed.case_id), records.reader.case(running.case_id)
        assert back_closed is not None and back_closed.stage.value == "CLOSED"
        assert back_running is not None and back_running.stage.value == "REVIEW"
        assert back_running.record_seq == (await running.status()).record_seq

        code, out = await _cli(world, world.target, "records", "sync")
        assert code == 0 and " 0 written" in out and "already up to date" in out, out
        assert records.reader.case(closed.case_id) == back_closed
    finally:
        records.close()
