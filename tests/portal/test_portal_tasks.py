"""Task updates on the portal: a real change is on the timeline; saving a task unchanged records nothing."""

from __future__ import annotations

import httpx

from casefac.settings import Settings
from starters.demo_parties import read_page
from tests.portal.stack import link
from tests.workflow.harness import Harness


async def test_saving_a_task_unchanged_adds_no_timeline_entry(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    path = link(settings, case, "update_task")
    before = await case.status()
    task = before.tasks[0]

    unchanged = await portal.post(path, data={"lang": "es", "task_id": task.id, "status": task.status, "note": ""})
    assert unchanged.status_code == 200, unchanged.text
    assert "quedó como «Pendiente»" in read_page(unchanged.text)[1]
    after_noop = await case.status()
    assert len(after_noop.timeline) == len(before.timeline)
    assert after_noop.tasks[0].updated_at == task.updated_at

    changed = await portal.post(path, data={"lang": "fr", "task_id": task.id, "status": "in_progress", "note": ""})
    assert "La tâche T1 est maintenant « En cours »." in read_page(changed.text)[1]
    after_change = await case.status()
    assert len(after_change.timeline) == len(before.timeline) + 1
    assert after_change.timeline[-1].event == f"task {task.id} in_progress"


async def test_a_refused_task_save_names_the_field_and_keeps_the_focus_there(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-002")
    page = await portal.post(link(settings, case, "update_task"),
                             data={"lang": "en", "task_id": "T1", "status": "bogus", "note": ""})
    assert page.status_code == 400
    assert 'aria-invalid="true" aria-describedby="err-status"' in page.text and "autofocus" in page.text
    assert '<a href="#status-T1">Status — Please choose one.</a>' in page.text
    assert "There is 1 problem on this page:" in read_page(page.text)[1]
