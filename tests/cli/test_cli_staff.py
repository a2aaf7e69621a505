"""``casefac staff add/list/revoke`` and the CLI's signing path, end to end on a real Temporal dev server.

The stack here is private (not the session's ``world``): its workflow worker has the guard interceptor and
the REAL ``staff.load_directory`` activity reading the same SQLite case record ``casefac staff add`` writes.
"""

from __future__ import annotations

import asyncio
import json
import random
import stat
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from activities.agreement import AgreementActivities
from activities.staff import from_records_url
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.case import CaseStage
from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.policy import CasePolicy
from records.database import create_records_engine, migrate
from starters.cases import read_status
from starters.cli import app
from tests.cli.conftest import Ran
from tests.conftest import binary, eventually
from tests.workflow.fakes import FakeProviders
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard


class Shell:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    async def cli(self, *args: str, **extra: str) -> Ran:
        result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env={**self.env, **extra},
                                         catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest_asyncio.fixture
async def signing_stack(tmp_path: Path) -> AsyncIterator[Shell]:
    ring_file = tmp_path / "keyring.json"
    ring = KeyRing.generate("cli-staff-key")
    ring.save(ring_file)
    shell = {"CASEFAC_KEYRING_FILE": str(ring_file), "CASEFAC_DATA_DIR": str(tmp_path),
             "CASEFAC_STAFF__KEYS_DIR": str(tmp_path / "keys"), "CASEFAC_STAFF__REQUIRE_SIGNATURES": "true",
             "CASEFAC_STAFF_ID": "coord.ana", "COLUMNS": "200"}
    engine = create_records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    migrate(engine)
    engine.dispose()
    converter = data_converter(EncryptionCodec(ring))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL), data_converter=converter)
    fakes = FakeProviders()
    queues = fakes.by_queue()
    agreement = AgreementActivities(CasePolicy())
    staff = from_records_url(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    queues[TaskQueue.MAIN] += [agreement.request_agreement, agreement.confirm_agreement, staff.load_directory]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(env.shutdown)
        for queue, acts in queues.items():
            await stack.enter_async_context(Worker(
                env.client, task_queue=queue, activities=acts, activity_executor=ThreadPoolExecutor(2),
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if queue == TaskQueue.MAIN else [],
                workflow_runner=workflow_runner(), interceptors=[CasefacGuard()]))
        shell["CASEFAC_TEMPORAL__ADDRESS"] = env.client.service_client.config.target_host
        yield Shell(shell)


def _open_flags(case_id: str) -> list[str]:
    return ["open", "--case-id", case_id, "--advocate-id", "ADV-0042", "--advocate-name", "Dana Whitfield",
            "--advocate-org", "Whitfield Immigration Law", "--advocate-email", "dana@whitfield-law.example.com",
            "--advocate-country", "US", "--client-name", "Rosa Ixchel Coc", "--country", "GT",
            "--matter-type", "protection", "--service", "locate_client",
            "--description", "Locate the client for her asylum hearing."]


async def test_staff_add_list_and_revoke(signing_stack: Shell, tmp_path: Path) -> None:
    ran = await signing_stack.cli("staff", "add", "coord.ana", "--role", "staff", "--name", "Ana Pérez")
    assert ran.code == 0, ran.text
    key_file = tmp_path / "keys" / "coord.ana.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (await signing_stack.cli("staff", "add", "fin.luis", "--role", "finance")).code == 0

    listed = await signing_stack.cli("staff", "list", "--json")
    rows = json.loads(listed.out)
    assert [(r["staff_id"], r["role"], r["revoked_at"]) for r in rows] == [("coord.ana", "staff", None),
                                                                           ("fin.luis", "finance", None)]
    assert rows[0]["name"] == "Ana Pérez"
    assert "PRIVATE" not in listed.out and "public_key" not in listed.out

    assert (await signing_stack.cli("staff", "add", "coord.ana")).code == 0  # rotation: the old key is revoked
    assert (await signing_stack.cli("staff", "revoke", "fin.luis")).code == 0
    rows = json.loads((await signing_stack.cli("staff", "list", "--json")).out)
    assert [(r["staff_id"], r["revoked_at"] is not None) for r in rows] == [
        ("coord.ana", True), ("fin.luis", True), ("coord.ana", False)]
    again = await signing_stack.cli("staff", "revoke", "fin.luis")
    assert again.code == 1 and "no active key" in again.err


async def test_the_cli_signs_and_the_case_refuses_an_unsigned_staff_member(signing_stack: Shell) -> None:
    assert (await signing_stack.cli("staff", "add", "coord.ana")).code == 0
    case_id = f"JIM-2026-{random.randint(100_000, 999_999)}"
    opened = await signing_stack.cli(*_open_flags(case_id))
    assert opened.code == 0, opened.text
    client = await _client(signing_stack)
    await eventually(lambda: read_status(client, case_id), lambda s: s.waiting is not None
                     and s.waiting.role == "staff", what="waiting for review")

    # A staff id with no key on this computer: sent unsigned, refused by the case.
    eve = await signing_stack.cli("cancel", case_id, "--reason", "forged", "--as", "coord.eve")
    assert eve.code == 1 and "must be signed" in eve.err, eve.text

    # Ana's key signs; the case verifies it against the directory its activity read from the record.
    assigned = await signing_stack.cli("assign", case_id, "--defender", "DEF-GT-001", "--as", "coord.ana")
    assert assigned.code == 0, assigned.text
    status = await read_status(client, case_id)
    assert status.stage is CaseStage.REVIEW
    assert any(e.actor == "staff:coord.ana" and e.event.startswith("accepted") for e in status.timeline)


async def _client(shell: Shell) -> Client:
    ring = KeyRing.load(Path(shell.env["CASEFAC_KEYRING_FILE"]))
    return await Client.connect(shell.env["CASEFAC_TEMPORAL__ADDRESS"], data_converter=data_converter(
        EncryptionCodec(ring)))


def test_the_stack_provisioned_last_signs_not_an_earlier_one(tmp_path: Path, monkeypatch: object) -> None:
    """One process that starts stack A, then stack B (the tests do; so does a second ``casefac demo``) must sign
    B's cases with B's development keys: A's key is unknown to B's staff directory, and B would refuse it."""
    from casefac.settings import Settings
    from casefac.staff_assertion import fingerprint, public_key_bytes
    from records.staff_directory import StaffDirectoryStore
    from starters import staff_signing
    from starters.staff_signing import ensure_dev_staff, private_key

    monkeypatch.setattr(staff_signing, "_PROVISIONED", [])  # type: ignore[attr-defined]
    stacks = {}
    for name in ("a", "b"):
        data = tmp_path / name
        data.mkdir()
        KeyRing.generate(f"ring-{name}").save(data / "keyring.json")
        settings = Settings(_env_file=None, data_dir=data, keyring_file=data / "keyring.json")  # type: ignore[call-arg]
        migrate(create_records_engine(settings.records_url))
        ensure_dev_staff(settings)
        stacks[name] = settings
    elsewhere = Settings(_env_file=None, data_dir=tmp_path / "cwd")  # type: ignore[call-arg]
    key = private_key(elsewhere, "coord.demo")
    assert key is not None
    engine = create_records_engine(stacks["b"].records_url)
    active_in_b = {k.key_id for k in StaffDirectoryStore(engine).directory().keys if k.revoked_at is None}
    assert fingerprint(public_key_bytes(key.public_key())) in active_in_b
