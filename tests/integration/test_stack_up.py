"""``casefac up`` end to end: start, join with ``casefac demo``, refuse clashes, stop, restart and resume."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from casefac.case import CaseStage
from casefac.roster import parse_roster
from casefac.temporal_client import connect_client
from starters import staff_actions
from starters.cases import open_case, read_status
from starters.demo.sample import STAFF, sample_case
from starters.demo_parties import PortalParties
from starters.stack.ports import free_port, port_free
from starters.stack.up import OPEN_CASES
from tests.conftest import eventually
from tests.integration.conftest import DemoRun, UpProcess, casefac, cli_env

pytestmark = pytest.mark.integration


def test_up_starts_every_service_and_prints_the_urls(up_stack: UpProcess) -> None:
    out = up_stack.output()
    for service in ("Temporal dev server", "sandbox", "gateway", "codec service", "worker"):
        assert re.search(rf"✓ {service}\s", out), out
    assert f"http://127.0.0.1:{up_stack.settings().codec.port}" in out and "/codec/" not in out
    assert "created the development key ring" in out and (up_stack.data_dir / "keyring.json").exists()
    settings = up_stack.settings()
    for url in (f"http://127.0.0.1:{settings.temporal.ui_port}/namespaces/default/workflows",
                settings.gateway.public_url, f"http://127.0.0.1:{settings.sandbox.port}/outbox"):
        assert url in out


def test_a_second_up_on_the_same_data_dir_is_refused(up_stack: UpProcess) -> None:
    ran = casefac("up", env=up_stack.env, timeout=60)
    assert ran.returncode == 1
    assert "already running" in ran.stdout and "Traceback" not in ran.stdout + ran.stderr


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = cli_env(tmp_path / "data", CASEFAC_GATEWAY__PORT=str(port),
                      CASEFAC_TEMPORAL__ADDRESS=f"127.0.0.1:{free_port()}", CASEFAC_TEMPORAL__UI_PORT=str(free_port()))
        ran = casefac("up", env=env, timeout=60)
    assert ran.returncode == 1
    lines = [line for line in ran.stdout.splitlines() if "✗" in line]
    assert len(lines) == 1, ran.stdout
    assert f"port {port} (gateway)" in lines[0] and "CASEFAC_GATEWAY__PORT=" in lines[0]
    assert not (tmp_path / "data" / "temporal.sqlite").exists()  # nothing was started


def test_demo_joins_the_running_stack(up_stack: UpProcess, joined_demo: DemoRun) -> None:
    assert joined_demo.code == 0, joined_demo.out
    assert "on the running stack" in joined_demo.out
    for step in ("1 Review", "2 Agreement", "3 Assignment", "4 Payment", "5 Evaluation", "CLOSED"):
        assert step in joined_demo.out
    ui_port = up_stack.settings().temporal.ui_port
    assert f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/case-{joined_demo.case_id}" in joined_demo.out
    assert joined_demo.seconds < 60


def test_demo_fails_clearly_when_a_provider_refuses(up_stack: UpProcess) -> None:
    sandbox = f"http://127.0.0.1:{up_stack.settings().sandbox.port}"
    httpx.post(f"{sandbox}/_sandbox/faults", json={"route": "POST /v1/invoices$", "status": 400, "count": 1},
               timeout=10).raise_for_status()
    try:
        ran = casefac("demo", env=up_stack.env, timeout=120)
    finally:
        httpx.delete(f"{sandbox}/_sandbox/faults", timeout=10)
    assert ran.returncode == 1
    assert "✓ 3 Assignment" in ran.stdout and "✗ 4 Payment" in ran.stdout
    assert "demo failed: the case needs attention" in ran.stdout and "Traceback" not in ran.stdout + ran.stderr


async def test_restart_resumes_open_cases(up_stack: UpProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = up_stack.settings()
    # Staff act from a shell on this stack (its data dir holds coord.demo's development key): the stack's
    # cases require signed staff updates, and the CLI finds the key through CASEFAC_DATA_DIR.
    monkeypatch.setenv("CASEFAC_DATA_DIR", str(up_stack.data_dir))
    client = await connect_client(settings)
    case = sample_case(parse_roster(settings.roster_file.read_text(encoding="utf-8")))
    await open_case(client, case.request, settings.policy)
    await eventually(lambda: read_status(client, case.case_id), lambda s: s.waiting is not None,
                     what="waiting for review")
    await staff_actions.review(client, case.case_id, STAFF, defender_id=case.defender.id)
    await eventually(lambda: read_status(client, case.case_id),
                     lambda s: s.waiting is not None and s.waiting.role == "defender", what="offer sent")

    open_cases = (await client.count_workflows(OPEN_CASES)).count
    code, out = up_stack.stop()
    assert code == 0, out
    for child in ("worker", "gateway", "sandbox", "temporal"):
        assert f"stopped {child}" in out
    assert out.index("stopped worker") < out.index("stopped temporal")
    assert all(port_free("127.0.0.1", p) for p in (settings.gateway.port, settings.sandbox.port,
                                                   int(settings.temporal.address.rsplit(":", 1)[1])))
    assert not (up_stack.data_dir / "stack.json").exists()

    out = up_stack.start()
    assert f"resuming {open_cases} open case(s)" in out
    assert "created the development key ring" not in out  # the same ring: old histories still decrypt
    client = await connect_client(up_stack.settings())
    status = await read_status(client, case.case_id)
    assert status.stage == CaseStage.REVIEW and status.defender_id == case.defender.id
    async with httpx.AsyncClient(timeout=30) as http:  # the case continues: the Defender accepts by email
        await PortalParties(http, f"http://127.0.0.1:{settings.sandbox.port}").defender_responds(
            case.case_id, case.defender_email)
    await eventually(lambda: read_status(client, case.case_id), lambda s: s.stage == CaseStage.AGREEMENT,
                     what="stage AGREEMENT after the restart", timeout=30)
