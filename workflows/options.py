"""Timeouts and retry policies per kind of call, chosen for what each provider tolerates.

Transient failures (timeouts, 408/409/429, 5xx) retry with backoff for up to a day; after that, or on a
non-retryable rejection, the case raises NeedsAttention instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from temporalio.common import RetryPolicy

from casefac.activity_io import ActivityName, TaskQueue


@dataclass(frozen=True)
class CallOptions:
    task_queue: str
    start_to_close: timedelta
    schedule_to_close: timedelta
    retry: RetryPolicy
    heartbeat: timedelta | None = None


#: Provider activities heartbeat while their SDK call runs (``activities.heartbeat``): a dead worker's step
#: is retried after this, not after the whole start-to-close timeout.
PROVIDER_HEARTBEAT = timedelta(seconds=20)


_PROVIDER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                              maximum_interval=timedelta(minutes=10))
_RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(minutes=5))
_LOCAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                           maximum_interval=timedelta(minutes=1))

OPTIONS: MappingProxyType[str, CallOptions] = MappingProxyType({
    ActivityName.LOAD_ROSTER: CallOptions(TaskQueue.MAIN, timedelta(seconds=30), timedelta(hours=1),
                                          _LOCAL_RETRY),
    ActivityName.REQUEST_AGREEMENT: CallOptions(TaskQueue.MAIN, timedelta(seconds=30), timedelta(hours=6),
                                                _LOCAL_RETRY),
    ActivityName.SEND_AGREEMENT_ENVELOPE: CallOptions(TaskQueue.ESIGN, timedelta(minutes=2), timedelta(days=1),
                                                      _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.SEND_CONTRACT_ENVELOPE: CallOptions(TaskQueue.ESIGN, timedelta(minutes=2), timedelta(days=1),
                                                     _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.VOID_ENVELOPE: CallOptions(TaskQueue.ESIGN, timedelta(minutes=1), timedelta(days=1),
                                            _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.STORE_SIGNED_DOCUMENTS: CallOptions(TaskQueue.ESIGN, timedelta(minutes=5), timedelta(days=1),
                                                     _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    # W1: read-only look-ups (reconciliation, confirmations): short retries, the caller decides what next.
    ActivityName.GET_ENVELOPE_STATUS: CallOptions(TaskQueue.ESIGN, timedelta(seconds=45), timedelta(hours=1),
                                                  _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.CONFIRM_AGREEMENT: CallOptions(TaskQueue.MAIN, timedelta(seconds=30), timedelta(hours=1),
                                                _LOCAL_RETRY),
    ActivityName.SEND_MAIL: CallOptions(TaskQueue.MAIL, timedelta(seconds=30), timedelta(days=1),
                                        _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.SEND_MAILS: CallOptions(TaskQueue.MAIL, timedelta(minutes=2), timedelta(days=1),
                                         _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.ISSUE_INVOICE: CallOptions(TaskQueue.BILLING, timedelta(minutes=2), timedelta(days=1),
                                            _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.VOID_INVOICE: CallOptions(TaskQueue.BILLING, timedelta(minutes=1), timedelta(days=1),
                                           _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    ActivityName.PAY_DEFENDER: CallOptions(TaskQueue.BILLING, timedelta(minutes=2), timedelta(days=1),
                                           _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    # W2: read-only invoice look-up (confirm "paid", reconcile before dunning): short, the caller decides next.
    ActivityName.GET_INVOICE: CallOptions(TaskQueue.BILLING, timedelta(seconds=45), timedelta(hours=1),
                                          _PROVIDER_RETRY, PROVIDER_HEARTBEAT),
    # The record is written whenever the database is back, however long it was away: the case goes on.
    ActivityName.WRITE_RECORD: CallOptions(TaskQueue.RECORDS, timedelta(seconds=30), timedelta(days=3650),
                                           _RECORD_RETRY),
})
