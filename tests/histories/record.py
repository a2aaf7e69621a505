"""Record the replay corpus: ``python -m tests.histories.record [--out DIR] [--generation vN] [NAME ...]``.

With no names it records every case scenario (``SCENARIOS``: the case workflow's history) and every entity
scenario (``ENTITY_SCENARIOS``: the Advocate entity's history), each on its own time-skipping server, as
``<name>.json``, or ``<name>.run1.json``, ``<name>.run2.json``, … when the workflow continued as new.

The corpus holds one set of files per *generation* of the workflow code: ``<name>.vN[.runK].json`` are the
histories recorded by older code, un-suffixed files are the current code's. Replaying them all with today's
code (``tests/workflow/test_replay.py``) is what proves that running cases of every generation still replay.

How to add a generation (after a deliberate, patched change to workflow code lands):

1. ``python -m tests.histories.record --freeze vN`` renames today's un-suffixed files to ``*.vN*.json``
   (N = the highest generation + 1). Equivalently: record from the tree of the last commit before the change
   (``git archive <commit> | tar -x -C /tmp/tree``, copy these two files into it if it lacks a scenario, run
   ``python -m tests.histories.record --out /some/dir --generation vN`` there with ``cwd`` and
   ``PYTHONPATH`` at that tree) and copy the files in.
2. ``python -m tests.histories.record`` re-records the current generation with today's code.
3. In ``test_replay.py`` add ``"vN"`` to ``GENERATIONS`` and say which ``workflow.patched`` markers the new
   generation has (taken) and has not (the new patches: the old branch).

Recording runs many time-skipping cases: run it once per generation, not in a loop.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory

from tests.histories.scenarios import ENTITY_SCENARIOS, SCENARIOS
from tests.workflow.world import time_skipping_harness

HERE = Path(__file__).parent
#: ``<name>.json`` and ``<name>.runK.json``: the current generation (no ``.vN.`` part).
CURRENT = re.compile(r"^(?P<name>[a-z_0-9]+)(?P<run>\.run\d+)?\.json$")


async def _runs(client: Client, handle: WorkflowHandle[Any, Any]) -> list[WorkflowHistory]:
    """Every run of the workflow (continue-as-new makes several), oldest first."""
    runs = []
    run_id: str | None = (await handle.describe()).run_id
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        runs.append(history)
        first = history.events[0].workflow_execution_started_event_attributes
        run_id = first.continued_execution_run_id or None
    return list(reversed(runs))


def file_name(name: str, generation: str | None, run: int | None) -> str:
    parts = [name, *([generation] if generation else []), *([f"run{run}"] if run else []), "json"]
    return ".".join(parts)


async def record(name: str, out: Path = HERE, generation: str | None = None) -> list[Path]:
    async with time_skipping_harness(itertools.count(1)) as h:
        handle = (await (SCENARIOS.get(name) or ENTITY_SCENARIOS[name])(h)).handle
        runs = await _runs(h.client, handle)
        stale = re.compile(rf"^{re.escape(file_name(name, generation, None)[:-5])}(\.run\d+)?\.json$")
        for old in out.glob(f"{name}*.json"):  # a path that now continues as new (or no longer does)
            if stale.match(old.name):
                old.unlink()
        written = []
        for i, history in enumerate(runs):
            path = out / file_name(name, generation, None if len(runs) == 1 else i + 1)
            path.write_text(history.to_json())
            written.append(path)
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("recorded")
        return written


def freeze(generation: str, where: Path = HERE) -> list[tuple[Path, Path]]:
    """Rename the current generation's files to ``generation``: ``happy_path.json`` → ``happy_path.v6.json``."""
    moves = []
    for path in sorted(where.glob("*.json")):
        m = CURRENT.match(path.name)
        if m:
            target = where / file_name(m["name"], generation, int(m["run"][4:]) if m["run"] else None)
            if target.exists():
                raise SystemExit(f"{target.name} exists: generation {generation} is taken")
            moves.append((path, target))
    for path, target in moves:
        path.rename(target)
    return moves


async def main(names: list[str], out: Path, generation: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names or [*SCENARIOS, *ENTITY_SCENARIOS]:
        for path in await record(name, out, generation):
            print(f"recorded {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: tests/histories)")
    parser.add_argument("--generation", help="suffix the files with this generation, e.g. v5")
    parser.add_argument("--freeze", metavar="vN", help="only rename the current files to generation vN")
    args = parser.parse_args()
    if args.freeze:
        for src, dst in freeze(args.freeze):
            print(f"{src.name} -> {dst.name}")
    else:
        asyncio.run(main(args.names, args.out, args.generation))
        # Everything is written. Skip interpreter finalization: the SDK core's threads sometimes abort it
        # ("PyGILState_Release ... finalizing", exit 134) after the last file is safely on disk.
        sys.stdout.flush()
        os._exit(0)
