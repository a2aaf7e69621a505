"""Per-provider task-queue rate limits, derived from the providers' quotas in settings.

``max_task_queue_activities_per_second`` is enforced by the Temporal server for the whole task queue, so
the limit holds across every worker process: running more workers adds capacity, never more calls than a
provider allows. Providers count API calls while Temporal counts activities, so each quota is divided by
the most calls one activity makes.

The limits protect the live providers' quotas. The sandbox has none, so in ``sandbox`` mode a limit
applies only when it is set explicitly (to rehearse it): the server's rate limiter dispatches the first
task of a slow queue only after seconds, which would make the local demo crawl for no reason.
"""

from __future__ import annotations

from casefac.activity_io import TaskQueue
from casefac.settings import Settings

#: Envelope search + create, or envelope + combined + certificate documents.
DOCUSIGN_CALLS_PER_ACTIVITY = 3
#: Customer search/create, invoice, items, finalize, send.
STRIPE_CALLS_PER_ACTIVITY = 6
#: One mail send.
SENDGRID_CALLS_PER_ACTIVITY = 1


def queue_rate_limits(settings: Settings) -> dict[str, float | None]:
    """Activities per second for each task queue; ``None`` means unlimited."""
    live = settings.mode == "live"
    docusign, sendgrid, stripe = settings.docusign, settings.sendgrid, settings.stripe
    limits: dict[str, float | None] = {TaskQueue.MAIN: None, TaskQueue.RECORDS: None}  # our own services
    limits[TaskQueue.ESIGN] = (docusign.calls_per_hour / 3600 / DOCUSIGN_CALLS_PER_ACTIVITY
                               if live or "calls_per_hour" in docusign.model_fields_set else None)
    limits[TaskQueue.MAIL] = (sendgrid.calls_per_second / SENDGRID_CALLS_PER_ACTIVITY
                              if live or "calls_per_second" in sendgrid.model_fields_set else None)
    limits[TaskQueue.BILLING] = (stripe.calls_per_second / STRIPE_CALLS_PER_ACTIVITY
                                 if live or "calls_per_second" in stripe.model_fields_set else None)
    return limits
