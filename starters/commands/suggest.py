"""``casefac suggest CASE-ID``: the eligible Defenders for a case, ranked, each with its reasons."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from starters.cli_runtime import connect, console, load_settings, run
from starters.parsing import case_id as parse_case_id


def register(app: typer.Typer) -> None:
    @app.command()
    def suggest(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                               callback=parse_case_id)],
        top: Annotated[int | None, typer.Option(min=1, help="Show only the best N.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Which Defenders fit a case, best first, and why; those left out, and why (weights: CASEFAC_SUGGEST__…)."""
        from casefac.eligibility import CaseNeeds
        from casefac.status import CaseStatus
        from starters.cases import read_status
        from starters.suggestions import ranking_view
        from starters.suggestions import suggest as rank_for

        settings = load_settings()

        async def go() -> CaseStatus:
            return await read_status(await connect(settings), case_id)

        status = run(settings, go())
        needs = CaseNeeds(country=status.country, region=status.region, services=status.services,
                          advocate_language=status.advocate_language, declined=status.declined_defenders)
        ranking = rank_for(settings, needs)
        if as_json:
            answer = {"case_id": status.case_id, "stage": status.stage.value, "needs": needs.model_dump(mode="json"),
                      **ranking.model_dump(mode="json")}
            if top:
                answer["suggestions"] = answer["suggestions"][:top]
            console.print_json(json.dumps(answer))
            return
        where = f"{status.country}" + (f" · {status.region}" if status.region else "")
        wanted = ", ".join(s.value.replace("_", " ") for s in status.services)
        console.print(f"[bold]{status.case_id}[/] · {status.stage.value} · {where} · {wanted} · Advocate writes in "
                      f"{status.advocate_language}")
        console.print(ranking_view(ranking, top=top))
        if status.stage.value == "REVIEW" and ranking.suggestions:
            console.print(f"  next: casefac assign {status.case_id} --defender {ranking.suggestions[0].defender_id}")
