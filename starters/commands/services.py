"""Commands that run services: ``worker``, ``gateway``, ``sandbox`` (each alone), ``up`` (all), ``demo``.

``casefac up`` runs the other three as child processes through these very commands, so a service
started by hand behaves exactly like one started by the stack.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from casefac.keyring import KeyRingError
from starters.cli_runtime import console, fail, load_settings
from workers.roles import WorkerRole

log = logging.getLogger("casefac")


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        role: Annotated[WorkerRole, typer.Option(
            help="all: workflows and activities; workflows: the workflow code only; activities: every "
                 "activity (run one process of each to keep provider calls off the workflows' thread).",
            case_sensitive=False)] = WorkerRole.ALL,
    ) -> None:
        """Run a worker: workflows and/or activities, one task queue per provider (Ctrl-C stops it cleanly)."""
        from workers.main import main as worker_main

        worker_main(load_settings(), role)

    @app.command()
    def gateway() -> None:
        """Run the gateway: provider webhooks and portal pages (the codec is `casefac codec`, its own listener)."""
        from gateway.edge_settings import EdgeSettings
        from gateway.server import build_server
        from workers.logs import configure_logging

        settings = load_settings(EdgeSettings)  # M7: live mode starts without the provider API keys
        configure_logging()
        try:
            server = build_server(settings)
        except KeyRingError as exc:
            fail(str(exc))
        log.info("gateway on http://%s:%s (public %s)", settings.gateway.host, settings.gateway.port,
                 settings.gateway.public_url)
        asyncio.run(server.serve())

    @app.command()
    def sandbox(
        state_file: Annotated[Path | None, typer.Option(help="Keep the emulators' state here (default: "
                                                        "<data dir>/sandbox/state.json).")] = None,
        certfile: Annotated[Path | None, typer.Option(help="TLS certificate of the OAuth listener.")] = None,
        keyfile: Annotated[Path | None, typer.Option(help="Its private key.")] = None,
    ) -> None:
        """Run the DocuSign / SendGrid / Stripe emulators alone, configured from casefac settings."""
        from sandbox.server import serve
        from starters.stack.provision import ensure_sendgrid_key, ensure_tls
        from starters.stack.sandbox_config import sandbox_config

        settings = load_settings()
        config = sandbox_config(settings, state_file=state_file)
        if (certfile is None) != (keyfile is None):
            fail("give both --certfile and --keyfile, or neither", 2)
        if certfile is None or keyfile is None:
            certfile, keyfile = ensure_tls(settings.data_dir / "sandbox" / "tls", settings.sandbox.host)
        assert config.state_file is not None
        public_key = ensure_sendgrid_key(config.state_file.with_name(config.state_file.name + ".sendgrid-key.pem"))
        console.print(f"SendGrid event webhook public key (CASEFAC_SENDGRID__WEBHOOK_PUBLIC_KEY): {public_key}")
        console.print(f"DocuSign OAuth CA (CASEFAC_DOCUSIGN__OAUTH_CA_CERT): {certfile}")
        serve(config, certfile=certfile, keyfile=keyfile, oauth_port=settings.sandbox.oauth_port,
              log_level="warning")

    @app.command()
    def up(
        spec: Annotated[Path | None, typer.Option(help="Stack description (default: ./temporal-dev.yml).")]
        = None,
    ) -> None:
        """Start the local stack (Temporal dev server, sandbox, gateway, worker); Ctrl-C stops it all."""
        from starters.stack.spec import SpecError, load_spec
        from starters.stack.up import run_up

        settings = load_settings()
        try:
            stack_spec = load_spec(spec)
        except SpecError as exc:
            fail(str(exc), 2)
        raise typer.Exit(asyncio.run(run_up(settings, stack_spec, console)))
