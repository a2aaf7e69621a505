"""build_activities: every contract activity, on its queue, under its name; and the error rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import activity

from activities import build_activities
from casefac.activity_io import ActivityName, TaskQueue
from casefac.errors import for_status, is_transient, scrub
from casefac.settings import Settings
from casefac.signing import CREATE_SIGNING_VIEW
from casefac.staff_directory import LOAD_STAFF_DIRECTORY
from workflows.options import OPTIONS


def test_every_activity_is_registered_on_its_queue(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    def extra() -> None: ...

    queues = build_activities(settings, main_extra=[extra])

    names = {queue: [activity._Definition.must_from_callable(fn).name for fn in fns if fn is not extra]
             for queue, fns in queues.items()}
    assert names == {
        TaskQueue.MAIN: [ActivityName.LOAD_ROSTER, LOAD_STAFF_DIRECTORY],  # S2: the staff directory
        TaskQueue.ESIGN: [ActivityName.SEND_AGREEMENT_ENVELOPE, ActivityName.SEND_CONTRACT_ENVELOPE,
                          ActivityName.VOID_ENVELOPE, ActivityName.STORE_SIGNED_DOCUMENTS,
                          ActivityName.GET_ENVELOPE_STATUS,  # W1: reconciliation (M7) and confirmations
                          CREATE_SIGNING_VIEW],  # S3: the recipient view runs on the worker, not the gateway (M7)
        TaskQueue.MAIL: [ActivityName.SEND_MAIL, ActivityName.SEND_MAILS],
        TaskQueue.BILLING: [ActivityName.ISSUE_INVOICE, ActivityName.VOID_INVOICE, ActivityName.PAY_DEFENDER,
                            ActivityName.GET_INVOICE],  # W2: "paid" is confirmed at Stripe (C2)
        TaskQueue.RECORDS: [ActivityName.WRITE_RECORD],
    }
    assert extra in queues[TaskQueue.MAIN]
    # Every activity a workflow calls through OPTIONS is sent to the queue that registers it (main_extra ones,
    # REQUEST_AGREEMENT and CONFIRM_AGREEMENT, need the worker's client: workers/main.py passes them on MAIN).
    extras = {ActivityName.REQUEST_AGREEMENT, ActivityName.CONFIRM_AGREEMENT}
    for name, call in OPTIONS.items():
        if name in extras:
            assert call.task_queue == TaskQueue.MAIN, name
        else:
            assert name in names[call.task_queue], (name, call.task_queue)


@pytest.mark.parametrize(("status", "transient"), [(None, True), (0, True), (408, True), (409, True),
                                                   (429, True), (500, True), (503, True), (400, False),
                                                   (401, False), (403, False), (404, False), (422, False)])
def test_transient_rule(status: int | None, transient: bool) -> None:
    assert is_transient(status) is transient
    error = for_status("XUnavailable", "XRejected", "call", status=status)
    assert error.non_retryable is not transient
    assert error.type == ("XUnavailable" if transient else "XRejected")


def test_scrub_removes_emails_and_bounds_length() -> None:
    assert scrub("Invalid email address 'lucia.h+1@defensores.example.org'.") == "Invalid email address '<email>'."
    assert len(scrub("x" * 1000)) == 300
