"""``casefac up`` gives the namespace temporal-dev.yml's retention, on a new database and on an existing one.

start-dev creates the namespace with 24 h and has no flag to change that, so the stack sets it after the
server starts; the real dev server is asked afterwards (describe_namespace), never the code's own record.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from temporalio.client import Client

from starters.stack.plan import settings_with
from starters.stack.probes import connect_plain
from starters.stack.provision import namespace_retention
from starters.stack.spec import REPO_ROOT, SpecError, StackSpec, load_spec
from starters.stack.up import LocalStack, describe_duration

SPEC = REPO_ROOT / "temporal-dev.yml"
START_DEV_DEFAULT = timedelta(hours=24)


class TemporalOnly(LocalStack):
    """``LocalStack.start`` up to the dev server and its provisioning; no sandbox, gateway or worker."""

    async def _start_services(self, env: dict[str, str], client: Client) -> None:
        return None


@asynccontextmanager
async def dev_server(data_dir: Path, spec: StackSpec) -> AsyncIterator[Client]:
    """The stack's dev server on free ports over ``data_dir``'s SQLite file; a plain client to it."""
    base = settings_with({"CASEFAC_DATA_DIR": str(data_dir)})
    async with TemporalOnly(base, spec, console=Console(file=io.StringIO()), free_ports=True, record=False) as stack:
        yield await connect_plain(stack.plan.temporal_address, stack.plan.namespace)


async def test_up_sets_the_spec_retention_on_a_new_and_an_existing_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("CASEFAC_")]:  # the dev server inherits the environment
        monkeypatch.delenv(name)
    spec = load_spec(SPEC)
    wanted = spec.temporal.retention
    assert wanted != START_DEV_DEFAULT, "with the server's own default this test would prove nothing"
    async with dev_server(tmp_path, spec) as client:
        assert await namespace_retention(client) == wanted
    shorter = spec.model_copy(update={"temporal": spec.temporal.model_copy(update={"retention": timedelta(days=7)})})
    async with dev_server(tmp_path, shorter) as client:  # same SQLite file: the namespace exists already
        assert await namespace_retention(client) == timedelta(days=7)


def test_the_spec_reads_short_durations_and_refuses_nonsense(tmp_path: Path) -> None:
    spec_file = tmp_path / "temporal-dev.yml"
    spec_file.write_text("temporal: {retention: 12h}\n")
    assert load_spec(spec_file).temporal.retention == timedelta(hours=12)
    for bad in ("0d", "-1d", "3w"):
        spec_file.write_text(f"temporal: {{retention: {bad}}}\n")
        with pytest.raises(SpecError, match="retention"):
            load_spec(spec_file)


def test_the_summary_line_says_the_retention_in_words() -> None:
    assert describe_duration(timedelta(days=30)) == "30 days"
    assert describe_duration(timedelta(days=1)) == "1 day"
    assert describe_duration(timedelta(hours=36)) == "36 hours"
