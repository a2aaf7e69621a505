"""Replay every recorded history with today's workflow code: a change that would break running cases fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from casefac.converter import data_converter
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_the_corpus_covers_every_path() -> None:
    names = {p.name.split(".")[0] for p in HISTORIES}
    assert {"happy_path", "review_declined", "reassigned_after_decline_and_lapse", "contract_loop",
            "report_changes", "needs_attention_retry", "cancelled_in_payment", "long_outcome_wait"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner())
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
