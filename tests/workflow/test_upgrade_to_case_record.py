"""A case that started before the case record existed keeps running on today's code (a mid-flight upgrade).

The first worker runs the case workflow as it was before the record (the same code without its writer); it
stops mid-case and today's worker replays the history and finishes the case. The patch keeps the old
case on the old path (no writes, no non-determinism), and its ``record`` query still answers, which is what
``casefac records sync`` copies into the record.
"""

from __future__ import annotations

from pathlib import Path

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.keyring import KeyRing
from casefac.record import CaseRecord
from records.database import create_records_engine, migrate
from records.sealing import Sealer
from records.store import RecordStore
from tests.workflow.before_the_record import BeforeTheRecord
from tests.workflow.world import main_queue_worker, time_skipping_harness


async def test_a_case_started_before_the_record_finishes_on_todays_code_and_syncs(tmp_path: Path) -> None:
    async with time_skipping_harness(workflows_worker=False) as h:
        async with main_queue_worker(h, BeforeTheRecord):
            case = await h.open()
            await case.to_assignment("DEF-GT-001")
        async with main_queue_worker(h):  # the upgrade: a new worker replays the history so far
            final = await case.close_from_assignment()
            snapshot = await case.handle.query("record", result_type=CaseRecord)
    assert final.stage is CaseStage.CLOSED
    assert h.fakes.records(case.case_id) == [] and not h.fakes.calls["records.refused"]
    assert final.record_written == 0 and final.record_behind  # staff see it: `casefac records sync`
    assert snapshot.stage is CaseStage.CLOSED and snapshot.seq == final.record_seq
    assert snapshot.invoices == final.invoices and [s.stage for s in snapshot.stages][-1] is CaseStage.CLOSED

    engine = create_records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    migrate(engine)
    store = RecordStore(engine, Sealer(KeyRing.generate()))
    assert store.write(snapshot).result == "written"
    assert store.write(snapshot).result == "unchanged"  # a second sync changes nothing
    engine.dispose()
    assert ActivityName.WRITE_RECORD not in {n for n, calls in h.fakes.calls.items() if calls}
