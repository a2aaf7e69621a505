"""One module per portal action; each exposes ``show(visit)`` and ``post(visit, form)``.

``PAGES`` maps a link's ``PortalAction.action`` to its module, so the router stays a dispatcher.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.portal.access import Visit


@dataclass(frozen=True)
class ActionPages:
    show: Callable[[Visit], Awaitable[Response]]
    post: Callable[[Visit, FormData], Awaitable[Response]]


def registry() -> dict[str, ActionPages]:
    from gateway.portal.pages import contract, evaluation, outcome, report, respond, sign, tasks

    return {
        "respond_assignment": ActionPages(respond.show, respond.post),
        "review_contract": ActionPages(contract.show, contract.post),
        "sign_contract": ActionPages(sign.show, sign.post),
        "sign_agreement": ActionPages(sign.show, sign.post),
        "update_task": ActionPages(tasks.show, tasks.post),
        "submit_report": ActionPages(report.show, report.post),
        "evaluate": ActionPages(evaluation.show, evaluation.post),
        "report_outcome": ActionPages(outcome.show, outcome.post),
    }
