"""A records outage on the real stack: the case record on PostgreSQL, stopped mid-case and started again.

The case runs from request to CLOSED while the database is down (the writes retry beside it), the workflow
waits for its record before it returns, and once the database is back the record holds the closed case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from casefac.case import CaseStage
from casefac.keyring import KeyRing
from casefac.status import CaseStatus
from records.connect import Records
from tests.records.pg import PostgresServer
from tests.workflow.harness import Case

from .journey import full_case
from .world import LogCapture, World, real_world

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def pg_world(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer,
                   logs: LogCapture) -> AsyncIterator[World]:
    async with real_world(Path(tmp_path_factory.mktemp("pg-world")),
                          records_url=postgres_server.create_database()) as running:
        yield running


async def test_a_case_goes_on_while_the_record_is_down_and_the_record_catches_up(
        pg_world: World, postgres_server: PostgresServer) -> None:
    async def stop_the_database(case: Case) -> None:
        await case.until(lambda s: s.record_written >= 1, "the opening written to the record")
        postgres_server.pause()

    try:
        case = await full_case(pg_world, after_open=stop_the_database)
        behind = await case.status()
        assert behind.stage is CaseStage.CLOSED and behind.record_behind, behind.record_written
        assert (await case.handle.describe()).status == WorkflowExecutionStatus.RUNNING
    finally:
        postgres_server.resume()
    final: CaseStatus = await case.handle.result()
    assert final.record_written == final.record_seq > behind.record_written
    records = Records.from_settings(pg_world.settings, KeyRing.load(pg_world.settings.keyring_path))
    try:
        recorded = records.reader.case(case.case_id)
    finally:
        records.close()
    assert recorded is not None and recorded.stage is CaseStage.CLOSED and recorded.record_seq == final.record_seq
    assert recorded.invoices == final.invoices and recorded.money == final.money
    assert [s.stage for s in recorded.stages][-1] is CaseStage.CLOSED
