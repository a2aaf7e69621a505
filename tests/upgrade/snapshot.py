"""Vendor the previous release's worker code for the upgrade test: ``python -m tests.upgrade.snapshot <commit>``.

Writes ``previous.tar.gz`` (the ``workflows``, ``casefac``, ``activities`` and ``workers`` packages and the
test fakes as they were at ``<commit>``) and ``previous.json`` (the commit, its date and the archive's
SHA-256) beside this file. Run it once per release, with the last commit before the release's workflow
changes, so "previous" is what production runs while the new code rolls out.

Left out, because the previous worker in the test does not read them: the gettext sources (``.po``,
``.pot``, ``babel.cfg``: the compiled ``.mo`` catalogs stay, the contract draft is translated in workflow code)
and ``casefac/templates`` (mail and document rendering happen in the provider activities, which the test's
previous worker runs as fakes). Files are stored in name order with a fixed mtime, so the same commit
gives the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).parent
ARCHIVE = HERE / "previous.tar.gz"
MANIFEST = HERE / "previous.json"
ROOT = HERE.parent.parent
#: What the previous worker imports: the worker code, and the fakes the workflow tests register.
PATHS = ("workflows", "casefac", "activities", "workers", "tests/__init__.py", "tests/workflow/__init__.py",
         "tests/workflow/fakes.py")
SKIPPED_SUFFIXES = (".po", ".pot", ".cfg")
SKIPPED_DIRS = ("casefac/templates/",)


def _kept(name: str) -> bool:
    return not name.endswith(SKIPPED_SUFFIXES) and not name.startswith(SKIPPED_DIRS)


def build(commit: str) -> dict[str, object]:
    full = subprocess.run(["git", "rev-parse", f"{commit}^{{commit}}"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    date = subprocess.run(["git", "show", "-s", "--format=%cI", full], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    raw = subprocess.run(["git", "archive", "--format=tar", full, "--", *PATHS], cwd=ROOT, check=True,
                         capture_output=True).stdout
    out = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=io.BytesIO(raw)) as src, \
            gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as dst:
        for member in sorted((m for m in src.getmembers() if m.isfile() and _kept(m.name)), key=lambda m: m.name):
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            info = tarfile.TarInfo(member.name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            dst.addfile(info, io.BytesIO(data))
            count += 1
    blob = out.getvalue()
    ARCHIVE.write_bytes(blob)
    manifest: dict[str, object] = {"commit": full, "date": date, "files": count, "bytes": len(blob),
                                   "sha256": hashlib.sha256(blob).hexdigest(), "paths": list(PATHS)}
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def extract(into: Path) -> Path:
    """Unpack the snapshot into ``into`` (a PYTHONPATH root) after checking it is the one ``previous.json`` names."""
    manifest = json.loads(MANIFEST.read_text())
    blob = ARCHIVE.read_bytes()
    if hashlib.sha256(blob).hexdigest() != manifest["sha256"]:
        raise RuntimeError(f"{ARCHIVE.name} does not match {MANIFEST.name}: re-run python -m tests.upgrade.snapshot")
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        tar.extractall(into, filter="data")
    return into


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.splitlines()[0])
    print(json.dumps(build(sys.argv[1]), indent=2))
