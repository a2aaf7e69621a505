"""Payloads in history outlive the code that wrote them: today's models must read every one (review M10).

Histories hold workflow inputs (and continue-as-new inputs), activity inputs and results, signals, update
arguments and results, and the final result. On replay, and when a case continues as new, those are decoded
with *today's* models, so every model that reaches history ignores fields it does not know
(``extra="ignore"``), and a field that an older payload lacks has a default (the additive-only policy).
Inbound user payloads stay strict where they are first judged: ``rules.parse`` in a validator refuses an
unknown field with its name; the handler, which re-runs on replay, reads the same payload leniently.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pkgutil
import re
import typing
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

import activities
from casefac.converter import data_converter
from casefac.messages import ReviewCase, SubmitReport
from workers.main import WORKFLOWS as WORKER_WORKFLOWS
from workers.runner import workflow_runner
from workflows import rules
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
WORKFLOWS = (CaseFacilitationWorkflow, AdvocateWorkflow)
#: Every workflow a worker runs (those without corpus histories persist their payloads just the same).
ALL_WORKFLOWS = WORKER_WORKFLOWS
CONVERTER = data_converter(None).payload_converter


# ------------------------------------------------------------------------------- which model reads what
@cache
def _activity_types() -> dict[str, tuple[list[Any], Any]]:
    """Activity name → (argument types, result type), from every activity defined in ``activities/`` (the
    production signatures, not the fakes': what a worker decodes is what counts)."""
    out = {}
    for info in pkgutil.iter_modules(activities.__path__):
        module = importlib.import_module(f"activities.{info.name}")
        for _, obj in inspect.getmembers(module):
            if inspect.isfunction(obj):
                candidates = [obj]
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                candidates = [f for _, f in inspect.getmembers(obj, inspect.isfunction)]
            else:
                continue
            for fn in candidates:
                d = activity._Definition.from_callable(fn)
                if d is not None and d.name:
                    out[d.name] = (list(d.arg_types or []), d.ret_type)
    return out


def _update_model(fn: Callable[..., Any]) -> Any:
    """The message model an update handler parses its raw payload into (``rules.parse(Model, payload…)``)."""
    m = re.search(r"rules\.parse\((\w+),", inspect.getsource(fn))
    return fn.__globals__[m[1]] if m else Any


@cache
def _workflow_types(name: str) -> dict[str, Any]:
    cls = next(c for c in ALL_WORKFLOWS if workflow._Definition.must_from_class(c).name == name)
    d = workflow._Definition.must_from_class(cls)
    return {
        "input": d.arg_types[0] if d.arg_types else Any,
        "result": d.ret_type,
        "signals": {n: s.arg_types[0] if s.arg_types else Any for n, s in d.signals.items() if n},
        "updates": {n: (_update_model(u.fn), u.ret_type) for n, u in d.updates.items() if n},
    }


def payloads_with_types(history: WorkflowHistory) -> Iterator[tuple[str, Payload, Any]]:
    """Every payload of a history a workflow or activity reads, with the type that reads it (``Any``: untyped)."""
    wf = _workflow_types(history.events[0].workflow_execution_started_event_attributes.workflow_type.name)
    acts = _activity_types()
    scheduled: dict[int, str] = {}
    updates: dict[str, str] = {}  # update id → name
    for e in history.events:
        kind = e.WhichOneof("attributes")
        a = getattr(e, kind)
        if kind == "workflow_execution_started_event_attributes":
            yield from (("start", p, wf["input"]) for p in a.input.payloads)
        elif kind == "workflow_execution_continued_as_new_event_attributes":
            yield from (("continue-as-new", p, wf["input"]) for p in a.input.payloads)
        elif kind == "workflow_execution_completed_event_attributes":
            yield from (("result", p, wf["result"]) for p in a.result.payloads)
        elif kind == "activity_task_scheduled_event_attributes":
            scheduled[e.event_id] = a.activity_type.name
            args, _ = acts[a.activity_type.name]
            yield from ((a.activity_type.name, p, t) for p, t in zip(a.input.payloads, args, strict=True))
        elif kind == "activity_task_completed_event_attributes":
            name = scheduled[a.scheduled_event_id]
            yield from ((f"{name} result", p, acts[name][1]) for p in a.result.payloads)
        elif kind == "workflow_execution_signaled_event_attributes":
            yield from ((f"signal {a.signal_name}", p, wf["signals"][a.signal_name]) for p in a.input.payloads)
        elif kind == "signal_external_workflow_execution_initiated_event_attributes":  # the entity tells a case
            target = _workflow_types("CaseFacilitationWorkflow")["signals"][a.signal_name]
            yield from ((f"signal out {a.signal_name}", p, target) for p in a.input.payloads)
        elif kind == "workflow_execution_update_accepted_event_attributes":
            name = a.accepted_request.input.name
            updates[a.accepted_request.meta.update_id] = name
            yield from ((f"update {name}", p, wf["updates"][name][0]) for p in a.accepted_request.input.args.payloads)
        elif kind == "workflow_execution_update_completed_event_attributes" and a.outcome.HasField("success"):
            name = updates[a.meta.update_id]
            yield from ((f"update result {name}", p, wf["updates"][name][1]) for p in a.outcome.success.payloads)


@cache
def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


# ------------------------------------------------------------------------------------------ the tests
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_every_payload_in_the_corpus_decodes_with_todays_models(path: Path) -> None:
    decoded = 0
    for where, payload, hint in payloads_with_types(_history(path)):
        if hint is Any:
            continue
        value = CONVERTER.from_payloads([payload], [hint])[0]
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            assert isinstance(value, hint), where
        decoded += 1
    assert decoded >= 3  # at least the start input, a signal and what the workflow did with it


def _models_in(hint: Any, seen: set[type[BaseModel]]) -> None:
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        if hint in seen:
            return
        seen.add(hint)
        for field in hint.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(hint):
        _models_in(arg, seen)


def persisted_models() -> set[type[BaseModel]]:
    """Every model (and nested model) a history payload of these workflows is decoded into."""
    seen: set[type[BaseModel]] = set()
    for wf in ALL_WORKFLOWS:
        t = _workflow_types(workflow._Definition.must_from_class(wf).name)
        for hint in (t["input"], t["result"], *t["signals"].values(), *(m for pair in t["updates"].values()
                                                                        for m in pair)):
            _models_in(hint, seen)
    for args, result in _activity_types().values():
        for hint in (*args, result):
            _models_in(hint, seen)
    return seen


def test_every_model_that_reaches_history_ignores_unknown_fields() -> None:
    """A new persisted model left at ``extra="forbid"`` would make today's payloads unreadable by a rollback
    and yesterday's, after a field is retired, unreadable by today."""
    models = persisted_models()
    assert len(models) > 30
    strict = sorted(f"{m.__module__}.{m.__qualname__}" for m in models if m.model_config.get("extra") != "ignore")
    assert not strict, strict


def test_a_validator_refuses_an_unknown_field_and_the_handler_reads_it() -> None:
    payload = {"actor": {"role": "staff", "id": "coord.ana"}, "decision": "decline", "reason": "Out of scope",
               "decison_note": "typo'd field"}
    with pytest.raises(ValueError, match=r"decison_note: Extra inputs are not permitted"):
        rules.parse(ReviewCase, payload)
    assert rules.parse(ReviewCase, payload, strict=False).reason == "Out of scope"


def test_strictness_reaches_nested_models() -> None:
    line = {"date": "2026-11-01", "hours": "1.5", "task_code": "L110", "activity_code": "A106",
            "description": "Call", "billable": True}
    payload = {"actor": {"role": "defender", "id": "DEF-GT-001"},
               "report": {"kind": "final", "hours": [line], "expenses": []}}
    with pytest.raises(ValueError, match=r"report\.hours\[0\]\.billable: Extra inputs are not permitted"):
        rules.parse(SubmitReport, payload)
    assert rules.parse(SubmitReport, payload, strict=False).report.hours[0].task_code == "L110"


# ------------------------------------------------------------------ an older history, edited, still replays
def _edit(payload: dict[str, Any], change: Callable[[Any], None]) -> None:
    """Change one JSON payload of a history file in place (the corpus is recorded without the codec)."""
    if base64.b64decode(payload["metadata"]["encoding"]) != b"json/plain":
        return  # binary/null: an activity that returns None
    data = json.loads(base64.b64decode(payload["data"]))
    change(data)
    payload["data"] = base64.b64encode(json.dumps(data).encode()).decode()


def _older_shape(history_json: str) -> tuple[str, list[str]]:
    """The history as a release with other fields would have written it: an extra field in the start input,
    in every activity result and signal, and in the update arguments; optional fields left out of the start
    input (they decode to their defaults, so the workflow's commands do not change)."""
    doc = json.loads(history_json)
    done = []

    def extra(data: Any) -> None:
        if isinstance(data, dict):
            data["retired_field"] = {"from": "an older release"}

    def older_start(data: Any) -> None:
        extra(data)
        if "request" in data:  # a case: CaseInput
            request = data["request"]
            extra(request)
            for optional in ("region", "budget_cap"):  # None by default, and None in these histories
                assert request.pop(optional, "missing") is None, optional
            request["client"].pop("date_of_birth")
            extra(request["advocate"])
        else:  # the entity: AdvocateInput
            extra(data["advocate"])
        if data.get("state"):  # continued as new: the carried state too
            extra(data["state"])

    for e in doc["events"]:
        attrs = next((v for k, v in e.items() if k.endswith("EventAttributes")), {})
        kind = e["eventType"]
        if kind == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED":
            _edit(attrs["input"]["payloads"][0], older_start)
            done.append("start")
        elif kind == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED" and attrs.get("result"):
            for p in attrs["result"]["payloads"]:
                _edit(p, extra)
            done.append("activity result")
        elif kind == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED":
            for p in attrs["input"]["payloads"]:
                _edit(p, extra)
            done.append("signal")
        elif kind == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            for p in attrs["acceptedRequest"]["input"]["args"]["payloads"]:
                _edit(p, extra)
            done.append("update")
    return json.dumps(doc), done


@pytest.mark.parametrize("name, edited_kinds", [
    ("happy_path.v5", {"start", "activity result", "signal", "update"}),
    ("long_outcome_wait.v5.run2", {"start", "activity result", "update"}),  # a carried CaseState
    ("advocate_agreement.v5.run1", {"start", "activity result", "signal"}),
])
async def test_an_older_history_with_an_extra_and_a_missing_optional_field_still_replays(
        name: str, edited_kinds: set[str]) -> None:
    path = Path(__file__).parent.parent / "histories" / f"{name}.json"
    edited, done = _older_shape(path.read_text())
    assert edited_kinds <= set(done)
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True), interceptors=[CasefacGuard()])
    result = await replayer.replay_workflow(WorkflowHistory.from_json(name, edited), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_the_edit_really_adds_unknown_fields() -> None:
    """Guard against a vacuous replay test: the edited start input has a field no model knows."""
    edited, _ = _older_shape((Path(__file__).parent.parent / "histories" / "happy_path.v5.json").read_text())
    history = WorkflowHistory.from_json("edited", edited)
    start = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    data = json.loads(start.data)
    assert "retired_field" in data and "retired_field" in data["request"] and "region" not in data["request"]


def test_files_people_type_stay_strict_where_they_are_read() -> None:
    """Persisted models ignore unknown fields, so the CLI refuses them where it reads a case file or a roster:
    a typo (``budget_capp``) is an error, never a silently missing cap."""
    from pydantic import ValidationError

    from casefac.parties import Actor, Role
    from casefac.roster import parse_roster
    from starters.case_form import build_request

    case_file = {"case_id": "JIM-2026-0042", "country": "GT", "matter_type": "protection",
                 "services": ["locate_client"], "description": "Locate the client.", "deadline": "2027-01-30",
                 "advocate": {"id": "ADV-1", "name": "Dana", "organization": "Firm", "email": "dana@firm.example.com",
                              "country": "US", "billing_currency": "USD"},
                 "client": {"full_name": "Rosa"}}
    staff = Actor(role=Role.STAFF, id="coord.ana")
    assert build_request(case_file, {}, staff).case_id == "JIM-2026-0042"
    with pytest.raises(ValidationError, match="budget_capp"):
        build_request({**case_file, "budget_capp": "USD 300.00"}, {}, staff)
    with pytest.raises(ValidationError, match="hourly_rat"):
        parse_roster("defenders:\n  - id: DEF-GT-009\n    hourly_rat: 1\n")
