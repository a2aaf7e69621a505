"""The lock file clears every known-vulnerable floor, and the check really refuses a low pin."""

from __future__ import annotations

from pathlib import Path

from starters.dependency_floors import FLOORS, below_floor, problems

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"


def test_the_committed_lock_pins_every_floored_package_at_or_above_its_floor() -> None:
    assert problems(LOCK.read_text(encoding="utf-8")) == []


def test_every_lock_entry_carries_a_sha256_hash() -> None:
    text = LOCK.read_text(encoding="utf-8")
    entries = [block for block in text.split("\n") if "==" in block and not block.startswith("#")]
    assert entries, "the lock pins nothing"
    for line in entries:
        assert line.rstrip().endswith("\\"), f"{line.strip()} has no --hash continuation"


def test_a_pin_below_a_floor_is_refused_with_the_advisory() -> None:
    lock = "\n".join(f"{name}=={floor.minimum} \\\n    --hash=sha256:00" for name, floor in FLOORS.items())
    assert problems(lock) == []
    vulnerable = lock.replace(f"h11=={FLOORS['h11'].minimum}", "h11==0.14.0")
    found = problems(vulnerable)
    assert len(found) == 1 and "h11==0.14.0" in found[0] and "CVE-2025-43859" in found[0]


def test_a_floored_package_missing_from_the_lock_is_reported() -> None:
    lock = "\n".join(f"{name}=={floor.minimum}" for name, floor in FLOORS.items() if name != "starlette")
    assert [p.split(":")[0] for p in problems(lock)] == ["starlette"]


def test_versions_compare_as_release_numbers_not_strings() -> None:
    assert below_floor("0.0.9", "0.0.31")
    assert not below_floor("0.0.34", "0.0.31")
    assert not below_floor("1.10.0", "1.3.1")
    assert below_floor("1.3.1rc1", "1.3.1")
    assert not below_floor("2.6", "2.6.0")
