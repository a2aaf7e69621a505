"""One line of the doctor's answer, and how the answer is shown (text or JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Check:
    """``area`` (Settings, Temporal, DocuSign…), what was checked, whether it holds, and what to do if not.

    ``detail`` and ``fix`` carry ids, hosts, amounts and setting names only: never a secret.
    """

    area: str
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def passed(area: str, name: str, detail: str = "") -> Check:
    return Check(area, name, True, detail)


def failed(area: str, name: str, detail: str, fix: str) -> Check:
    return Check(area, name, False, detail, fix)


def as_text(checks: list[Check]) -> str:
    lines: list[str] = []
    area = ""
    for check in checks:
        if check.area != area:
            area = check.area
            lines.append(area)
        mark = "✓" if check.ok else "✗"
        lines.append(f"  {mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
        if check.fix:
            lines.append(f"      fix: {check.fix}")
    bad = sum(1 for c in checks if not c.ok)
    lines.append(f"{len(checks) - bad} passed, {bad} failed" + ("" if bad else " — ready"))
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    return json.dumps({"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, indent=2)
