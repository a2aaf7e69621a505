"""The bench end to end at a tiny N: ``python -m bench`` as a subprocess on its own private stack.

Only the command's contract is checked (every figure printed, a PASS/FAIL line per target, zero failed
lifecycles, exit 0), never the performance figures themselves: those depend on the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(?:\.\d+)?"

#: Each figure the issue asks for, by the label the bench prints it under.
FIGURES = {
    "cases per minute": rf"cases per minute\s+case {NUMBER} · baseline {NUMBER}",
    "wall time per lifecycle": rf"wall time per lifecycle\s+case {NUMBER} s · baseline {NUMBER} s",
    "update latency (case)": r"update latency \(case\)\s+p50 \d+ ms · p95 \d+ ms \(33 execute_update",
    "update latency (baseline)": r"update latency \(baseline\)\s+p50 \d+ ms · p95 \d+ ms \(33 execute_update",
    "history events per case": rf"history events per case\s+mean {NUMBER} · max \d+ \(case workflow, 3 cases\)",
    "worker peak RSS": rf"worker peak RSS\s+{NUMBER} MiB \(casefac worker, VmHWM\) · baseline worker {NUMBER} MiB",
    "replay of one history": r"replay of one history\s+\d+ ms \(case-JIM-\d{4}-\d+, \d+ events",
    "failed cases": r"failed cases\s+0 of 3 \(baseline 0 of 3\)",
    "ratio case/baseline": rf"ratio case/baseline\s+{NUMBER} \(mean wall time per lifecycle at concurrency 2\)",
}
TARGETS = (r"ratio case/baseline ≤ 1\.5", r"zero failed cases: 0 failed", r"history events per case ≤ 250")


def bench_env() -> dict[str, str]:
    """No inherited CASEFAC_* settings (the bench makes its own data dir and ports), wide unwrapped output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")}
    return env | {"COLUMNS": "200", "PYTHONUNBUFFERED": "1",
                  "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", "")}


@pytest.mark.integration
def test_bench_runs_three_cases_and_prints_every_figure() -> None:
    ran = subprocess.run([sys.executable, "-m", "bench", "--cases", "3", "--concurrency", "2"], cwd=REPO,
                         env=bench_env(), capture_output=True, text=True, timeout=400, check=False)
    out = ran.stdout + ran.stderr
    assert ran.returncode == 0, out
    missing = [name for name, pattern in FIGURES.items() if not re.search(pattern, out)]
    assert not missing, f"figures missing or malformed: {missing}\n{out}"
    for target in TARGETS:
        assert re.search(rf"(PASS|FAIL)  {target}", out), f"no PASS/FAIL line for {target!r}\n{out}"
    assert "parties: updates" in out and "baseline:" in out, out  # the method is stated before the figures
    assert "Traceback" not in out, out
