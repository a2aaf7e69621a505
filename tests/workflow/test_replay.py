"""Replay every recorded history with today's workflow code: a change that would break running cases fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from casefac.converter import data_converter
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import STORE_DOCUMENTS_BESIDE_PATCH, CaseFacilitationWorkflow
from workflows.case_notices import MAIL_OUTBOX_PATCH

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_the_corpus_covers_every_path() -> None:
    names = {p.name.split(".")[0] for p in HISTORIES}
    assert {"happy_path", "review_declined", "reassigned_after_decline_and_lapse", "contract_loop",
            "report_changes", "needs_attention_retry", "cancelled_in_payment", "long_outcome_wait"} <= names


def _patches(path: Path) -> set[str]:
    """The ``workflow.patched`` ids recorded in one history (marker details, JSON ``{"id": ...}``)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    found = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            data = event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
            found.add(json.loads(data)["id"])
    return found


def test_the_corpus_holds_both_sides_of_every_patch() -> None:
    """``*.v1*.json`` were recorded before the ``workflow.patched`` changes, the others after: replaying
    both keeps the old branch (cases already running) and the new one honest."""
    old = [p for p in HISTORIES if ".v1" in p.name]
    new = [p for p in HISTORIES if ".v1" not in p.name]
    assert {p.name.split(".")[0] for p in old} == {p.name.split(".")[0] for p in new}
    assert all(not _patches(p) for p in old)
    assert all(MAIL_OUTBOX_PATCH in _patches(p) for p in new)
    assert STORE_DOCUMENTS_BESIDE_PATCH in _patches(HISTORIES[HISTORIES.index(
        Path(__file__).parent.parent / "histories" / "happy_path.json")])


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True))
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
