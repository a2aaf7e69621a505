"""The digests' Temporal Schedules: ``casefac up`` applies them to the local stack, ``casefac schedules apply``
to a cluster. Applying is idempotent: a schedule that exists is updated to this definition, never doubled.

    staff    digest-staff-daily     Monday–Friday 07:00 America/Guatemala (the coordinators' morning)
    finance  digest-finance-weekly  Monday 07:00 America/Guatemala

Readers come from a YAML file (``examples/digests.yaml``: each an email and a language, es or en), or by
default the shared addresses in settings (``CASEFAC_SENDGRID__STAFF_EMAIL``, ``__FINANCE_EMAIL``), in English.
Their addresses travel in the schedule's workflow input, encrypted by the codec like every payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from casefac.activity_io import TaskQueue
from casefac.digest import WORKFLOW, DigestInput, DigestRecipient
from casefac.settings import Settings
from casefac.worklist import Audience
from starters.parsing import InputError

TIME_ZONE = "America/Guatemala"


@dataclass(frozen=True)
class DigestSchedule:
    audience: Audience
    schedule_id: str
    cron: str
    when: str


SCHEDULES: tuple[DigestSchedule, ...] = (
    DigestSchedule("staff", "digest-staff-daily", "0 7 * * 1-5", "Monday–Friday 07:00 " + TIME_ZONE),
    DigestSchedule("finance", "digest-finance-weekly", "0 7 * * 1", "Monday 07:00 " + TIME_ZONE),
)


def default_recipients(settings: Settings) -> dict[Audience, list[DigestRecipient]]:
    return {"staff": [DigestRecipient(email=settings.sendgrid.staff_email)],
            "finance": [DigestRecipient(email=settings.sendgrid.finance_email)]}


def read_recipients(path: Path) -> dict[Audience, list[DigestRecipient]]:
    """``staff:`` and ``finance:`` lists of ``{email, language, name}`` (a missing list keeps nobody)."""
    import yaml
    from pydantic import TypeAdapter, ValidationError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read digest readers from {path}: {exc}") from exc
    if not isinstance(data, dict) or set(data) - {"staff", "finance"}:
        raise InputError(f"{path}: a mapping with 'staff' and/or 'finance', each a list of readers")
    adapter = TypeAdapter(list[DigestRecipient])
    try:
        return {audience: adapter.validate_python(data.get(audience) or []) for audience in ("staff", "finance")}
    except ValidationError as exc:
        raise InputError(f"{path}: {exc.errors(include_url=False)[0]['msg']} "
                         f"(at {'.'.join(map(str, exc.errors()[0]['loc']))})") from exc


def schedule_of(spec: DigestSchedule, recipients: list[DigestRecipient]) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(WORKFLOW, DigestInput(audience=spec.audience, recipients=recipients),
                                           id=f"digest-{spec.audience}", task_queue=TaskQueue.MAIN,
                                           execution_timeout=timedelta(hours=6)),
        spec=ScheduleSpec(cron_expressions=[spec.cron], time_zone_name=TIME_ZONE),
        # A missed run (the stack was down) is caught up within a day; two never run at once.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def apply(client: Client, recipients: dict[Audience, list[DigestRecipient]]) -> list[tuple[str, str]]:
    """Create or update each schedule (an audience without readers has its schedule deleted); what was done."""
    done: list[tuple[str, str]] = []
    for spec in SCHEDULES:
        readers = recipients.get(spec.audience) or []
        handle = client.get_schedule_handle(spec.schedule_id)
        if not readers:
            try:
                await handle.delete()
                done.append((spec.schedule_id, "deleted (no readers)"))
            except RPCError:  # absent already: nothing to do
                done.append((spec.schedule_id, "none (no readers)"))
            continue
        wanted = schedule_of(spec, readers)
        try:
            await client.create_schedule(spec.schedule_id, wanted)
            done.append((spec.schedule_id, f"created · {spec.when} · {len(readers)} reader(s)"))
        except ScheduleAlreadyRunningError:
            def update(_: ScheduleUpdateInput, wanted: Schedule = wanted) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=wanted)

            await handle.update(update)
            done.append((spec.schedule_id, f"updated · {spec.when} · {len(readers)} reader(s)"))
    return done
