"""Replay every recorded history with today's workflow code: a change that would break running cases fails.

The corpus (``tests/histories``, recorded by ``python -m tests.histories.record``) holds one set of histories
per generation of the workflow code; see ``record.py`` for how a generation is added.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
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
from workflows.case_messages import NO_OP_TASK_SAVE_PATCH
from workflows.case_money import MONEY_RETRY_KEY_PATCH
from workflows.case_notices import MAIL_OUTBOX_PATCH
from workflows.case_record import CASE_RECORD_PATCH
from workflows.guard import CasefacGuard

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
#: Oldest first; "current" is the un-suffixed files (today's code, re-recorded at each release).
GENERATIONS = ("v1", "v2", "v3", "v4", "v5", "current")
CASE_PATHS = {"happy_path", "review_declined", "reassigned_after_decline_and_lapse", "contract_loop",
              "report_changes", "needs_attention_retry", "cancelled_in_payment", "long_outcome_wait"}
#: The Advocate entity's paths, recorded from generation v5 on (review M11).
ENTITY_PATHS = {"advocate_agreement"}
ENTITY_SINCE = "v5"
#: Every patch the code had when v5 was recorded (commit e03ae07). A patch added since is "not taken" in v5:
#: those histories replay its old branch, which is the point of keeping them.
PATCHES_AT_V5 = {MAIL_OUTBOX_PATCH, STORE_DOCUMENTS_BESIDE_PATCH, PAYOUT_BESIDE_INVOICE_PATCH, CASE_RECORD_PATCH,
                 MONEY_VIEW_PATCH, MONEY_RETRY_KEY_PATCH, NO_OP_TASK_SAVE_PATCH}
_GENERATION = re.compile(r"\.(v\d+)\.")


@cache
def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def _name(path: Path) -> str:
    return path.name.split(".")[0]


def _generation(path: Path) -> str:
    m = _GENERATION.search(path.name)
    return m[1] if m else "current"


def _workflow_type(path: Path) -> str:
    return _history(path).events[0].workflow_execution_started_event_attributes.workflow_type.name


def _patches(path: Path) -> set[str]:
    """The ``workflow.patched`` ids recorded in one history (marker details, JSON ``{"id": ...}``)."""
    found = set()
    for event in _history(path).events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            data = event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
            found.add(json.loads(data)["id"])
    return found


def test_the_corpus_covers_every_path() -> None:
    for generation in GENERATIONS:
        paths = [p for p in HISTORIES if _generation(p) == generation]
        expected = CASE_PATHS | (ENTITY_PATHS if GENERATIONS.index(generation) >= GENERATIONS.index(ENTITY_SINCE)
                                 else set())
        assert {_name(p) for p in paths} == expected, generation
    assert {_generation(p) for p in HISTORIES} == set(GENERATIONS)


def test_every_scenario_has_a_current_history() -> None:
    """A scenario added to ``scenarios.py`` but never recorded would guard nothing."""
    from tests.histories.scenarios import ENTITY_SCENARIOS, SCENARIOS

    current = {_name(p) for p in HISTORIES if _generation(p) == "current"}
    assert set(SCENARIOS) == CASE_PATHS and set(ENTITY_SCENARIOS) == ENTITY_PATHS
    assert current == CASE_PATHS | ENTITY_PATHS


def test_the_entity_histories_are_the_advocate_workflow_through_its_whole_loop() -> None:
    """pending → reminder → declined → sent again → signed → every waiting case told → continue-as-new → a later
    case answered by the new run (review M11)."""
    for generation in GENERATIONS[GENERATIONS.index(ENTITY_SINCE):]:
        runs = sorted(p for p in HISTORIES if _name(p) in ENTITY_PATHS and _generation(p) == generation)
        assert len(runs) >= 2, generation
        assert {_workflow_type(p) for p in runs} == {"AdvocateWorkflow"}
        first = _history(runs[0]).events
        types = [e.event_type for e in first]
        assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        assert types.count(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED) == 2  # two waiting cases
        assert types.count(EventType.EVENT_TYPE_TIMER_FIRED) >= 2  # the reminder and the pause after the decline
        scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name for e in first
                     if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
        assert scheduled.count("esign.send_agreement") == 2  # sent, declined, sent again
        later = [e.event_type for e in _history(runs[1]).events]
        assert EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED in later  # answered at once


def test_the_corpus_holds_both_sides_of_every_patch() -> None:
    """Every path is recorded once per generation of the workflow code, and replaying them all keeps each
    ``workflow.patched`` branch honest: ``*.v1*`` before any patch, ``*.v2*`` with the mail outbox and the
    archive beside (payout then invoice, in turn), ``*.v3*`` with payout beside invoice but no case record,
    ``*.v4*`` with the case record but before the money view, ``*.v5*`` with every patch up to commit e03ae07
    (none of those added since), the others with every patch."""
    cases = [p for p in HISTORIES if _name(p) in CASE_PATHS]
    by_name = {(_name(p), _generation(p)): _patches(p) for p in cases}
    assert not any(patches for (_, generation), patches in by_name.items() if generation == "v1")
    for generation in ("v2", "v3", "v4", "v5", "current"):
        assert all(MAIL_OUTBOX_PATCH in patches for (_, g), patches in by_name.items() if g == generation)
        assert STORE_DOCUMENTS_BESIDE_PATCH in by_name[("happy_path", generation)]
    assert not any(PAYOUT_BESIDE_INVOICE_PATCH in patches for (_, g), patches in by_name.items() if g == "v2")
    for name in ("happy_path", "report_changes", "needs_attention_retry", "cancelled_in_payment"):
        for generation in ("v3", "v4", "v5", "current"):
            assert PAYOUT_BESIDE_INVOICE_PATCH in by_name[(name, generation)], (name, generation)
    assert not any(CASE_RECORD_PATCH in patches for (_, g), patches in by_name.items() if g in ("v1", "v2", "v3"))
    assert all(CASE_RECORD_PATCH in patches for (_, g), patches in by_name.items() if g in ("v4", "v5", "current"))
    assert not any(MONEY_VIEW_PATCH in patches for (_, g), patches in by_name.items() if g in ("v1", "v2", "v3", "v4"))
    assert all(MONEY_VIEW_PATCH in patches for (_, g), patches in by_name.items() if g in ("v5", "current"))
    # a staff retry of a money step: the old keys before v5, fresh keys after
    assert MONEY_RETRY_KEY_PATCH not in by_name[("needs_attention_retry", "v4")]
    for generation in ("v5", "current"):
        assert MONEY_RETRY_KEY_PATCH in by_name[("needs_attention_retry", generation)]
    # v5 is the code before this release's patches: none of them is taken there
    assert all(patches <= PATCHES_AT_V5 for (_, g), patches in by_name.items() if g == "v5")
    # the entity had no patch at v5
    assert not any(_patches(p) for p in HISTORIES if _name(p) in ENTITY_PATHS and _generation(p) == "v5")


def _patch_ids_in_code() -> set[str]:
    """Every ``*_PATCH = "id"`` constant under ``workflows/``."""
    found = set()
    for source in (Path(__file__).parents[2] / "workflows").glob("*.py"):
        for node in ast.parse(source.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                    isinstance(t, ast.Name) and t.id.endswith("_PATCH") for t in node.targets):
                found.add(node.value.value)
    return found


def test_every_patch_the_corpus_recorded_is_still_in_the_code() -> None:
    """A patch id renamed or dropped while histories carrying it may still run strands those cases on the
    wrong branch; retire a patch with ``workflow.deprecate_patch`` first, and drop it with its last histories."""
    in_code = _patch_ids_in_code()
    assert in_code >= PATCHES_AT_V5
    recorded = set().union(*(_patches(p) for p in HISTORIES))
    assert recorded <= in_code, recorded - in_code


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True), interceptors=[CasefacGuard()])  # as workers do
    result = await replayer.replay_workflow(_history(path), raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_freezing_a_generation_renames_only_the_current_files(tmp_path: Path) -> None:
    from tests.histories.record import freeze

    for name in ("happy_path.json", "long_outcome_wait.run1.json", "long_outcome_wait.run2.json",
                 "happy_path.v5.json", "advocate_agreement.v5.run1.json"):
        (tmp_path / name).write_text("{}")
    moved = {(a.name, b.name) for a, b in freeze("v6", tmp_path)}
    assert moved == {("happy_path.json", "happy_path.v6.json"),
                     ("long_outcome_wait.run1.json", "long_outcome_wait.v6.run1.json"),
                     ("long_outcome_wait.run2.json", "long_outcome_wait.v6.run2.json")}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "advocate_agreement.v5.run1.json", "happy_path.v5.json", "happy_path.v6.json",
        "long_outcome_wait.v6.run1.json", "long_outcome_wait.v6.run2.json"]
    with pytest.raises(SystemExit):  # a generation is never overwritten
        (tmp_path / "happy_path.json").write_text("{}")
        freeze("v6", tmp_path)
