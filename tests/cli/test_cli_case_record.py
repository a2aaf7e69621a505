"""``casefac records …`` and the worker's schema check, as staff run them: one line per outcome, exit codes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from casefac.keyring import KeyRing
from records.database import create_records_engine, migrate
from records.sealing import Sealer
from records.store import RecordStore
from starters.cli import app
from tests.conftest import binary
from tests.records.samples import cancelled_record, closed_record

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    KeyRing.generate("k-cli").save(tmp_path / "keyring.json")
    return tmp_path


def _env(data_dir: Path) -> dict[str, str]:
    return {"CASEFAC_DATA_DIR": str(data_dir), "CASEFAC_KEYRING_FILE": str(data_dir / "keyring.json"),
            "CASEFAC_STAFF_ID": "coord.ana"}


def _cli(data_dir: Path, *args: str) -> tuple[int, str]:
    ran = CliRunner().invoke(app, list(args), env=_env(data_dir), catch_exceptions=False)
    return ran.exit_code, ran.stdout + ran.stderr


def _seed(data_dir: Path) -> None:
    engine = create_records_engine(f"sqlite:///{(data_dir / 'records.sqlite3').resolve()}")
    migrate(engine)
    store = RecordStore(engine, Sealer(KeyRing.load(data_dir / "keyring.json")))
    store.write(closed_record())
    store.write(cancelled_record(seq=2))
    engine.dispose()


def test_migrate_creates_the_schema_once(data_dir: Path) -> None:
    code, out = _cli(data_dir, "records", "info")
    assert code == 0 and "schema    none" in out and "casefac records migrate" in out, out
    code, out = _cli(data_dir, "records", "migrate")
    # the record, the Defender roster, then the staff directory (issue 13 C2: staff keys)
    assert code == 0 and "schema none → 0004" in out, out
    code, out = _cli(data_dir, "records", "migrate")
    assert code == 0 and "is at schema 0004; nothing to do" in out, out
    code, out = _cli(data_dir, "records", "info")
    assert code == 0 and "cases     0 (0 finished)" in out, out


def test_closed_cases_and_closing_codes(data_dir: Path) -> None:
    _seed(data_dir)
    code, out = _cli(data_dir, "list", "--closed")
    assert code == 0 and "2 finished case(s)" in out and "JIM-2026-0042" in out and "USD 222.50" in out, out
    code, out = _cli(data_dir, "list", "--closed", "--stage", "REVIEW")
    assert code == 2 and "--closed lists finished cases" in out, out
    code, out = _cli(data_dir, "records", "close-code", "JIM-2026-0042", "Ib")
    assert code == 0 and "closing code Ib (Contested Court Decision), was H" in out, out
    code, out = _cli(data_dir, "records", "close-code", "JIM-2026-0042", "X9")
    assert code == 2 and "not an LSC CSR closing code" in out, out
    code, out = _cli(data_dir, "records", "close-code", "JIM-2026-7777", "B")
    assert code == 1 and "holds no case JIM-2026-7777" in out, out
    code, out = _cli(data_dir, "records", "info")
    assert code == 0 and "cases     2 (2 finished)" in out, out


async def test_the_worker_refuses_an_old_schema_with_the_command_to_run(data_dir: Path) -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"))
    try:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")}
        run_env = {**clean, **_env(data_dir), "PYTHONPATH": str(REPO),
                   "CASEFAC_TEMPORAL__ADDRESS": env.client.service_client.config.target_host}
        ran = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "workers"], env=run_env, cwd=REPO,
                                      capture_output=True, text=True, timeout=60, check=False)
    finally:
        await env.shutdown()
    assert ran.returncode == 1, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "has no schema yet: run `casefac records migrate`" in errors[0], ran.stderr
    assert "Traceback" not in ran.stderr
