"""Backfilling the case record from Temporal: each case's ``record`` query, written through the store.

Running cases answer from their worker; finished ones too (a query on a closed workflow replays it), as
long as Temporal still holds them. A case that cannot answer (no worker, or code too old to have the
query) is counted and named, and the rest go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from casefac.record import CaseRecord
from records.store import CaseIdTaken, RecordStore
from starters.cases import QUERY_TIMEOUT, WORKFLOW
from starters.cli_runtime import console


@dataclass
class SyncTally:
    written: int = 0
    unchanged: int = 0
    stale: int = 0
    failed: list[str] = field(default_factory=list)


async def sync_cases(client: Client, store: RecordStore, *, open_only: bool = False) -> SyncTally:
    query = f'WorkflowType = "{WORKFLOW}"' + (' AND ExecutionStatus = "Running"' if open_only else "")
    # One entry per run: a continued-as-new case is one case (its current run answers for it).
    ids = list(dict.fromkeys([wf.id async for wf in client.list_workflows(query)]))
    tally = SyncTally()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("syncing cases", total=len(ids))
        for workflow_id in ids:
            try:
                record = await client.get_workflow_handle(workflow_id).query(
                    "record", result_type=CaseRecord, rpc_timeout=QUERY_TIMEOUT)
                result = store.write(record).result
                setattr(tally, result, getattr(tally, result) + 1)
            except (RPCError, WorkflowQueryFailedError, CaseIdTaken) as exc:
                tally.failed.append(f"{workflow_id}: {exc}")
            except SQLAlchemyError as exc:  # e.g. the worker inserted it first: the next sync finds it current
                tally.failed.append(f"{workflow_id}: the record refused the write ({type(exc).__name__})")
            progress.advance(task)
    console.print(f"[green]✓[/] {len(ids)} case(s) from Temporal: {tally.written} written, "
                  f"{tally.unchanged} already up to date" + (f", {tally.stale} newer in the record" if tally.stale
                                                              else ""))
    for line in tally.failed:
        console.print(f"  [yellow]not synced[/] {line}")
    return tally
