"""The CLI against a real Temporal dev server: real workflows, fake providers, the encrypting converter.

The CLI is invoked in-process with Typer's ``CliRunner`` from a thread (the command runs its own event
loop there while the session loop keeps the workers polling), configured the way a coordinator's shell
would be: ``CASEFAC_*`` variables naming the server and the key ring.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

# Rich sizes its consoles when the CLI module is imported: wide enough that tables never truncate ids.
os.environ.setdefault("COLUMNS", "200")

from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from starters.cli import app
from tests.portal.stack import running_stack
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class CliWorld:
    env: WorkflowEnvironment
    fakes: FakeProviders
    harness: Harness
    shell: dict[str, str]

    async def cli(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        """``casefac ARGS`` with the coordinator's environment (plus ``env``)."""
        runner = CliRunner()
        result = await asyncio.to_thread(runner.invoke, app, list(args), env={**self.shell, **(env or {})},
                                         catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def cli_keyring(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyRing, Path]:
    ring = KeyRing.generate("cli-test-key")
    path = tmp_path_factory.mktemp("cli-data") / "keyring.json"
    ring.save(path)
    return ring, path


@pytest_asyncio.fixture(scope="session")
async def world(cli_keyring: tuple[KeyRing, Path]) -> AsyncIterator[CliWorld]:
    ring, ring_file = cli_keyring
    async with running_stack(data_converter(EncryptionCodec(ring))) as running:
        env, fakes, harness = running.env, running.fakes, running.harness
        shell = {
            "CASEFAC_TEMPORAL__ADDRESS": env.client.service_client.config.target_host,
            "CASEFAC_KEYRING_FILE": str(ring_file),
            "CASEFAC_DATA_DIR": str(ring_file.parent),
            "CASEFAC_STAFF_ID": "coord.ana",
        }
        yield CliWorld(env=env, fakes=fakes, harness=harness, shell=shell)
