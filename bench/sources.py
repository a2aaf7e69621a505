"""Did the code change under the run? A fingerprint of the source files the stack's processes load.

The workflow sandbox re-reads the workflow modules from disk for every new workflow run, while passed-through
modules (``casefac``, ``workflows.options``…) stay as the worker loaded them at start. Code edited during a run
therefore mixes versions inside one worker and fails cases for reasons that have nothing to do with load. The
bench says so instead of leaving a puzzling failure count.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("casefac", "workflows", "activities", "workers", "gateway", "sandbox", "starters", "bench", "records")

Fingerprint = dict[str, tuple[int, int]]


def fingerprint(root: Path = REPO) -> Fingerprint:
    """``{relative path: (mtime_ns, size)}`` of every Python file and template in the packages."""
    found: Fingerprint = {}
    for package in PACKAGES:
        base = root / package
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.suffix in (".py", ".html", ".txt", ".yaml", ".yml") and path.is_file():
                stat = path.stat()
                found[str(path.relative_to(root))] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Files added, removed or modified between two fingerprints, sorted."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
