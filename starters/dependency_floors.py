"""Refuse a lock file that pins a dependency below its known-vulnerable floor (security review M9).

`pip-audit` needs the PyPI JSON API, which this project's build machines cannot reach (only the package
indexes are open), so the audit cannot run in CI here. Instead the advisories that matter to casefac, the
parsers facing the internet first, are kept below as floors and every install checks the lock against them;
`make install` and `make lock` fail on a pin under a floor. The README ("Dependencies") says how to run
`pip-audit` by hand on a machine with internet access and how to add a floor when an advisory appears.

Stdlib only: ``make lock`` runs it before the virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple


class Floor(NamedTuple):
    minimum: str
    why: str


#: package (normalised name) → the lowest acceptable version and the advisories below it.
FLOORS: dict[str, Floor] = {
    "h11": Floor("0.16.0", "CVE-2025-43859: lenient chunk terminators allow request smuggling"),
    "python-multipart": Floor("0.0.31", "CVE-2024-53981 and the 2026 GHSA DoS/smuggling advisories (< 0.0.31)"),
    "starlette": Floor("1.3.1", "urlencoded form limits ignored (fixed in 1.3.1); CVE-2025-54121 (< 0.47.2)"),
    "jinja2": Floor("3.1.6", "CVE-2024-22195, CVE-2024-34064, CVE-2024-56201, CVE-2024-56326, CVE-2025-27516"),
    "cryptography": Floor("44.0.1", "CVE-2024-26130; CVE-2024-12797 (vulnerable OpenSSL in wheels <= 44.0.0)"),
    "pyjwt": Floor("2.10.1", "CVE-2024-53861: partial match of the iss claim"),
    "urllib3": Floor("2.6.0", "CVE-2024-37891, CVE-2025-50181/50182, decompression-bomb fixes (< 2.6.0)"),
    "sendgrid": Floor("6.12.5", "6.12.0-6.12.4 use starkbank-ecdsa: the event webhook fails closed for ever"),
    "uvicorn": Floor("0.30.0", "older releases bundle h11 and header handling fixed since"),
}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _key(version: str) -> tuple[int, ...]:
    """A release number as integers (``1.3.1`` → (1, 3, 1)); a pre-release suffix counts as below it."""
    parts: list[int] = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        parts.append(int(digits.group()) if digits else 0)
        if not digits or digits.group() != piece:
            parts.append(-1)  # 1.3.1rc1 < 1.3.1
            break
    return tuple(parts)


def below_floor(version: str, minimum: str) -> bool:
    a, b = list(_key(version)), list(_key(minimum))
    width = max(len(a), len(b))
    return tuple(a + [0] * (width - len(a))) < tuple(b + [0] * (width - len(b)))


def problems(lock_text: str) -> list[str]:
    """Every pin under its floor, and every floored package the lock does not pin at all."""
    pins = {_normalise(name): version for name, version in _PIN.findall(lock_text)}
    found: list[str] = []
    for name, floor in FLOORS.items():
        version = pins.get(name)
        if version is None:
            found.append(f"{name}: not pinned in the lock (floor {floor.minimum}: {floor.why})")
        elif below_floor(version, floor.minimum):
            found.append(f"{name}=={version} is below {floor.minimum}: {floor.why}")
    return found


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "requirements.lock")
    found = problems(path.read_text(encoding="utf-8"))
    for line in found:
        print(f"dependency floor: {line}", file=sys.stderr)
    if found:
        print(f"{path}: {len(found)} known-vulnerable or missing pin(s); raise them and run `make lock`",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
