"""The shape of one case lifecycle, read from its histories, and the baseline plan that mirrors it.

A lifecycle is the case workflow plus the Advocate entity that sent its one-time agreement (every bench case
has its own Advocate, so every lifecycle signs one). Messages are the case's start, each accepted update and
each signal received by either workflow; the activities each workflow scheduled are attributed to the
latest message before them, in time order across both histories.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from bench.baseline import BaselinePlan, BaselineStep

_MESSAGES = {EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
             EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal"}


@dataclass
class Shape:
    """Counts per workflow (``case``, ``advocate``) and the mirrored plan."""

    plan: BaselinePlan
    activities: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)
    updates: Counter[str] = field(default_factory=Counter)
    timers: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        def split(counter: Counter[str]) -> str:
            parts = [f"{who} {n}" for who, n in sorted(counter.items()) if n]
            return f"{sum(counter.values())} ({' + '.join(parts)})" if len(parts) > 1 else str(sum(counter.values()))
        return (f"{split(self.activities)} activities, {split(self.signals)} signals, {split(self.updates)} updates "
                f"per lifecycle (timers not mirrored: {sum(self.timers.values())})")


def _ms(event: HistoryEvent) -> int:
    return event.event_time.seconds * 1000 + event.event_time.nanos // 1_000_000


def shape_of(case: WorkflowHistory, advocate: WorkflowHistory | None) -> Shape:
    """Count and order the messages and activities of one lifecycle; the baseline plan follows from it."""
    tagged: list[tuple[int, int, int, str, HistoryEvent]] = []
    for source, (who, history) in enumerate((("case", case), ("advocate", advocate))):
        if history is None:
            continue
        tagged += [(_ms(e), source, e.event_id, who, e) for e in history.events]
    tagged.sort(key=lambda t: t[:3])
    shape = Shape(plan=BaselinePlan(steps=[]))
    messages: list[str] = []
    activities: list[int] = []
    for _, _, _, who, event in tagged:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED and who == "case":
            messages.append("start")  # first: nothing happens before a case starts
            activities.append(0)
        elif kind in _MESSAGES:
            (shape.updates if _MESSAGES[kind] == "update" else shape.signals)[who] += 1
            messages.append(_MESSAGES[kind])
            activities.append(0)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            shape.activities[who] += 1
            activities[-1] += 1
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            shape.timers[who] += 1
    shape.plan = BaselinePlan(steps=[BaselineStep(message=m, activities=n) for m, n in zip(messages, activities,
                                                                                           strict=True)])
    return shape
