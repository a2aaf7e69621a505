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
from workflows.case import PAYOUT_BESIDE_INVOICE_PATCH, STORE_DOCUMENTS_BESIDE_PATCH, CaseFacilitationWorkflow
from workflows.case_core import MONEY_VIEW_PATCH
from workflows.case_money import MONEY_RETRY_KEY_PATCH
from workflows.case_notices import MAIL_OUTBOX_PATCH
from workflows.case_record import CASE_RECORD_PATCH

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


def _generation(path: Path) -> str:
    return next((g for g in ("v1", "v2", "v3", "v4") if f".{g}." in path.name), "current")


def test_the_corpus_holds_both_sides_of_every_patch() -> None:
    """Every path is recorded once per generation of the workflow code, and replaying them all keeps each
    ``workflow.patched`` branch honest: ``*.v1*`` before any patch, ``*.v2*`` with the mail outbox and the
    archive beside (payout then invoice, in turn), ``*.v3*`` with payout beside invoice but no case record,
    ``*.v4*`` with the case record but before the money view, the others with every patch."""
    generations: dict[str, list[Path]] = {"v1": [], "v2": [], "v3": [], "v4": [], "current": []}
    for path in HISTORIES:
        generations[_generation(path)].append(path)
    names = [{p.name.split(".")[0] for p in paths} for paths in generations.values()]
    assert names[0] == names[1] == names[2] == names[3] == names[4]
    by_name = {(p.name.split(".")[0], _generation(p)): _patches(p) for p in HISTORIES}
    assert not any(patches for (_, generation), patches in by_name.items() if generation == "v1")
    for generation in ("v2", "v3", "v4", "current"):
        assert all(MAIL_OUTBOX_PATCH in patches for (_, g), patches in by_name.items() if g == generation)
        assert STORE_DOCUMENTS_BESIDE_PATCH in by_name[("happy_path", generation)]
    assert not any(PAYOUT_BESIDE_INVOICE_PATCH in patches for (_, g), patches in by_name.items() if g == "v2")
    for name in ("happy_path", "report_changes", "needs_attention_retry", "cancelled_in_payment"):
        for generation in ("v3", "v4", "current"):
            assert PAYOUT_BESIDE_INVOICE_PATCH in by_name[(name, generation)], (name, generation)
    assert not any(CASE_RECORD_PATCH in patches for (_, g), patches in by_name.items() if g in ("v1", "v2", "v3"))
    assert all(CASE_RECORD_PATCH in patches for (_, g), patches in by_name.items() if g in ("v4", "current"))
    assert not any(MONEY_VIEW_PATCH in patches for (_, g), patches in by_name.items() if g != "current")
    assert all(MONEY_VIEW_PATCH in patches for (_, g), patches in by_name.items() if g == "current")
    # a staff retry of a money step: the old keys before this release, fresh keys after
    assert MONEY_RETRY_KEY_PATCH not in by_name[("needs_attention_retry", "v4")]
    assert MONEY_RETRY_KEY_PATCH in by_name[("needs_attention_retry", "current")]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True))
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
