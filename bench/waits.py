"""Where a lifecycle waits, read from histories: task queue waits and run times per activity, workflow tasks.

A slow lifecycle on an idle-looking machine is waiting somewhere. The history says where: an activity's
scheduled → started gap is time in the task queue (no free slot or thread in the worker, or a slow poll);
started → completed is its body (provider calls); a workflow task's scheduled → started gap is the worker's
workflow-task backlog, started → completed the workflow code itself (plus the sandbox, the converter and
the codec). The sandbox's own delivery log adds webhook latency (created → delivered to the gateway).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from bench.metrics import percentile

WORKFLOW_TASK = "workflow task"


def _seconds(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


@dataclass
class Waits:
    """Per kind (activity type, or ``workflow task``): queue waits and run times, in seconds."""

    queued: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    running: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    scheduled: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    histories: int = 0
    history_bytes: list[int] = field(default_factory=list)  # serialized size of each history (payloads encrypted)

    def add(self, history: WorkflowHistory) -> None:
        self.histories += 1
        self.history_bytes.append(sum(e.ByteSize() for e in history.events))
        by_id = {e.event_id: e for e in history.events}
        names: dict[int, str] = {}
        for event in history.events:
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                names[event.event_id] = name
                self.scheduled[name] += 1
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                scheduled = event.activity_task_started_event_attributes.scheduled_event_id
                self.queued[names.get(scheduled, "?")].append(_seconds(event) - _seconds(by_id[scheduled]))
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                attrs = event.activity_task_completed_event_attributes
                started = by_id.get(attrs.started_event_id)
                if started is not None:
                    self.running[names.get(attrs.scheduled_event_id, "?")].append(
                        _seconds(event) - _seconds(started))
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                scheduled = event.workflow_task_started_event_attributes.scheduled_event_id
                self.scheduled[WORKFLOW_TASK] += 1
                self.queued[WORKFLOW_TASK].append(_seconds(event) - _seconds(by_id[scheduled]))
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                started = by_id.get(event.workflow_task_completed_event_attributes.started_event_id)
                if started is not None:
                    self.running[WORKFLOW_TASK].append(_seconds(event) - _seconds(started))

    @property
    def mean_bytes(self) -> float:
        return _mean([float(b) for b in self.history_bytes])

    def rows(self) -> list[tuple[str, float, float, float, float]]:
        """(kind, per history, queued mean, queued p95, running mean), the busiest kinds first."""
        out = []
        for name, count in self.scheduled.items():
            queued, running = self.queued.get(name, []), self.running.get(name, [])
            out.append((name, count / max(self.histories, 1), _mean(queued), percentile(queued, 95), _mean(running)))
        return sorted(out, key=lambda r: -(r[1] * (r[2] + r[4])))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def webhook_latencies(deliveries: Iterable[dict[str, Any]]) -> dict[str, list[float]]:
    """Seconds from a webhook's creation in the sandbox to its successful delivery, per provider."""
    out: dict[str, list[float]] = defaultdict(list)
    for d in deliveries:
        if d.get("delivered") and d.get("created") and d.get("delivered_at"):
            try:
                created, delivered = datetime.fromisoformat(d["created"]), datetime.fromisoformat(d["delivered_at"])
            except (TypeError, ValueError):
                continue
            out[str(d.get("provider"))].append((delivered - created).total_seconds())
    return out
