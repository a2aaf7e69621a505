"""The worker process (``casefac worker``, ``python -m workers``): connect, register, poll, stop cleanly.

One ``Worker`` per task queue from ``build_activities``: the workflows and Temporal-only activities on
``TaskQueue.MAIN``, each provider on its own queue so its quota can be enforced server-side
(:mod:`workers.limits`). A process runs everything or one side (:class:`workers.roles.WorkerRole`);
``casefac up`` runs one process per side. SIGINT/SIGTERM stop polling, give running activities a grace
period to finish and then exit 0; a case never depends on a worker staying up, so a stop at any point is
safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities import build_activities
from activities.agreement import AgreementActivities, SignedLookup, record_lookup
from activities.digest import DigestActivities
from casefac.activity_io import TaskQueue
from casefac.keyring import KeyRingError
from casefac.settings import Settings
from casefac.temporal_client import connect_client
from records.database import SchemaOutOfDate
from workers.limits import queue_rate_limits
from workers.logs import configure_logging
from workers.roles import WorkerRole
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.digest import DigestWorkflow
from workflows.guard import CasefacGuard
from workflows.signing_view import SigningViewWorkflow

log = logging.getLogger("casefac.worker")

WORKFLOWS = (CaseFacilitationWorkflow, AdvocateWorkflow, DigestWorkflow, SigningViewWorkflow)
#: Provider calls are idempotent, so an activity cut off after this is simply retried elsewhere.
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
IDENTITY = "casefac-worker"


def check_records_schema(settings: Settings) -> None:
    """Refuse to run record writes against a database behind this code's schema (SchemaOutOfDate).

    A database that cannot be reached is no reason to stop: cases go on and their record writes retry
    until it is back, so that is only a warning.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from records.database import create_records_engine, require_current_schema

    engine = create_records_engine(settings.records_url)
    try:
        require_current_schema(engine)
    except SQLAlchemyError as exc:
        log.warning("the case record is unreachable (%s): cases go on and their records are written when it is "
                    "back", type(exc).__name__)
    finally:
        engine.dispose()


def _agreement_lookup(settings: Settings) -> SignedLookup:
    """W1: the case record's signed Agreements, so a restarted Advocate entity never asks again (review M4)."""
    from records.connect import Records

    return record_lookup(lambda: Records.from_settings(settings))


def build_workers(client: Client, settings: Settings, role: WorkerRole = WorkerRole.ALL) -> list[Worker]:
    """One worker per task queue, with the queue's rate limit; workflows only on ``TaskQueue.MAIN``."""
    limits = queue_rate_limits(settings)
    guard = CasefacGuard(require_signatures=settings.staff_signatures_required)  # S1: the deployment's rule
    if not role.runs_activities:
        return [Worker(client, task_queue=TaskQueue.MAIN, workflows=list(WORKFLOWS),
                       workflow_runner=workflow_runner(), graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
                       interceptors=[guard])]
    agreement = AgreementActivities(settings.policy, _agreement_lookup(settings))  # W1: seeded from the record
    activities = build_activities(settings, main_extra=[agreement.request_agreement, agreement.confirm_agreement,
                                                        DigestActivities().gather])
    return [
        Worker(client, task_queue=queue, activities=acts,
               workflows=list(WORKFLOWS) if queue == TaskQueue.MAIN and role.runs_workflows else [],
               workflow_runner=workflow_runner(), interceptors=[guard],
               max_task_queue_activities_per_second=limits.get(queue),
               graceful_shutdown_timeout=GRACEFUL_SHUTDOWN)
        for queue, acts in activities.items()
    ]


async def run_workers(workers: Sequence[Worker], stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set (or a worker fails), then shut every worker down gracefully."""
    runs = [asyncio.create_task(w.run(), name=f"worker:{w.task_queue}") for w in workers]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*runs, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    await asyncio.gather(*(w.shutdown() for w in workers if w.is_running), return_exceptions=True)
    results = await asyncio.gather(*runs, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)]
    if failures and not stop.is_set():
        raise failures[0]


async def serve(settings: Settings, stop: asyncio.Event | None = None, role: WorkerRole = WorkerRole.ALL) -> None:
    """Connect and run until SIGINT/SIGTERM (or ``stop``); the entry point of the worker process."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread / not POSIX
            loop.add_signal_handler(sig, stop.set)
    client = await connect_client(settings, identity=IDENTITY)
    if role.runs_activities:
        check_records_schema(settings)
    workers = build_workers(client, settings, role)
    limits = queue_rate_limits(settings)
    for w in workers:
        rate = limits.get(w.task_queue)
        what = "workflows" if not role.runs_activities else (
            f"{rate:.3f} activities/s" if rate else "no rate limit")
        log.info("polling %s (%s, role %s)", w.task_queue, what, role.value)
    log.info("worker connected to %s namespace %s (%s mode)", settings.temporal.address,
             settings.temporal.namespace, settings.mode)
    await run_workers(workers, stop)
    log.info("worker stopped")


def main(settings: Settings | None = None, role: WorkerRole = WorkerRole.ALL) -> None:
    """Run the worker; failures that need a person (no key ring, no Temporal) end in one line, exit 1."""
    configure_logging()
    settings = settings or Settings()
    try:
        asyncio.run(serve(settings, role=role))
    except (KeyRingError, SchemaOutOfDate) as exc:
        log.error("%s", exc)
        sys.exit(1)
    except RuntimeError as exc:
        if "connect" not in str(exc).lower():
            raise
        log.error("cannot reach Temporal at %s (namespace %s): start the local stack with `casefac up` "
                  "or set CASEFAC_TEMPORAL__ADDRESS", settings.temporal.address, settings.temporal.namespace)
        sys.exit(1)
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
