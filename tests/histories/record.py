"""Re-record the replay corpus: ``python -m tests.histories.record [NAME ...]``.

Run it when a deliberate, patched change to workflow code should become the new baseline; keep the old
files too (rename them ``*.v1.json``) so running cases recorded before the change still replay.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus

from tests.histories.scenarios import SCENARIOS
from tests.workflow.world import time_skipping_harness

HERE = Path(__file__).parent


async def record(name: str) -> list[Path]:
    async with time_skipping_harness(itertools.count(1)) as h:
        case = await SCENARIOS[name](h)
        # every run of the case (continue-as-new makes several), oldest first
        runs = []
        run_id: str | None = (await case.handle.describe()).run_id
        while run_id:
            history = await h.client.get_workflow_handle(case.handle.id, run_id=run_id).fetch_history()
            runs.append(history)
            first = history.events[0].workflow_execution_started_event_attributes
            run_id = first.continued_execution_run_id or None
        written = []
        for i, history in enumerate(reversed(runs)):
            path = HERE / (f"{name}.json" if len(runs) == 1 else f"{name}.run{i + 1}.json")
            path.write_text(history.to_json())
            written.append(path)
        if (await case.handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await case.handle.terminate("recorded")
        return written


async def main(names: list[str]) -> None:
    for name in names or list(SCENARIOS):
        for path in await record(name):
            print(f"recorded {path.relative_to(HERE.parent.parent)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
