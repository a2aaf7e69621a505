"""Failures a coordinator can act on are one line with an exit code, never a traceback."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from casefac.ids import case_workflow_id
from starters import cases, staff_actions
from tests.cli.conftest import CliWorld
from tests.conftest import LIVE_ENV


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_temporal_unreachable_names_the_address_and_the_fix(world: CliWorld) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    for args in (("status", "JIM-2026-0001"), ("list",), ("assign", "JIM-2026-0001", "--defender", "DEF-GT-001")):
        ran = await world.cli(*args, env={"CASEFAC_TEMPORAL__ADDRESS": address})
        assert ran.code == 1, ran.text
        assert ran.err.count("\n") == 1, ran.err
        assert f"cannot reach Temporal at {address}" in ran.err and "casefac up" in ran.err
        assert "Traceback" not in ran.text


async def test_missing_key_ring_is_one_line(world: CliWorld, tmp_path: Path) -> None:
    ran = await world.cli("status", "JIM-2026-0001", env={"CASEFAC_KEYRING_FILE": str(tmp_path / "none.json")})
    assert ran.code == 1 and "key ring file" in ran.err and "casefac up" in ran.err


async def test_invalid_settings_are_listed_by_field(world: CliWorld) -> None:
    ran = await world.cli("status", "JIM-2026-0001", env={"CASEFAC_TEMPORAL__UI_PORT": "eighty"})
    assert ran.code == 2 and "temporal.ui_port" in ran.err


async def test_demo_refuses_live_mode(world: CliWorld) -> None:
    ran = await world.cli("demo", env=LIVE_ENV)
    assert ran.code == 2 and "sandbox only" in ran.err


async def test_help_lists_every_command(world: CliWorld) -> None:
    ran = await world.cli("--help")
    for command in ("open", "review", "assign", "approve-contract", "review-report", "record-payout", "retry",
                    "cancel", "status", "list", "defenders", "worker", "up", "demo", "sandbox", "gateway"):
        assert command in ran.out


async def test_a_case_nobody_works_on_says_to_start_a_worker(world: CliWorld,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = f"JIM-2026-{uuid.uuid4().int % 900_000 + 100_000}"
    await world.env.client.start_workflow("CaseFacilitationWorkflow", id=case_workflow_id(case_id),
                                          task_queue=f"nobody-polls-{uuid.uuid4().hex}")
    monkeypatch.setattr(cases, "QUERY_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(staff_actions, "UPDATE_TIMEOUT", timedelta(seconds=1))
    for args in (("status", case_id), ("cancel", case_id, "--reason", "test")):
        ran = await world.cli(*args)
        assert ran.code == 1 and "is a worker running?" in ran.err, ran.text
