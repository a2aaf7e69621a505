"""Which side of the work one worker process takes (kept light: the CLI imports it to parse ``--role``)."""

from __future__ import annotations

from enum import StrEnum


class WorkerRole(StrEnum):
    """``all`` runs everything; ``workflows`` the workflow code only; ``activities`` every activity.

    Two processes (one of each side) is what ``casefac up`` runs: Python runs one thread at a time per
    process, so mail rendering and the provider SDKs in activity threads would otherwise hold every
    workflow task behind them; split, each side can also be scaled or restarted on its own.
    """

    ALL = "all"
    WORKFLOWS = "workflows"
    ACTIVITIES = "activities"

    @property
    def runs_workflows(self) -> bool:
        return self is not WorkerRole.ACTIVITIES

    @property
    def runs_activities(self) -> bool:
        return self is not WorkerRole.WORKFLOWS
