"""Suggestions for staff: the roster, the case record's history and the ranking, put together.

The roster comes from the records database when it holds one (``casefac defenders import``), else from
the roster file; open-case counts and history come from the case record, so a fresh install with no
record yet still ranks (everyone a newcomer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from casefac.eligibility import CaseNeeds
from casefac.parties import Defender
from casefac.ranking import History, Ranking, rank
from casefac.settings import Settings
from starters.record_access import existing_records


def roster_and_history(settings: Settings, country: str, *, quiet: bool = False
                       ) -> tuple[list[Defender], dict[str, History]]:
    """The country's Defenders (open cases counted; a note on stderr when the roster file stands in for the
    record's roster) and what the case record knows of their past work."""
    from records.suggest import histories
    from starters.commands.defenders import current_defenders

    defenders = current_defenders(settings, country, quiet=quiet)
    with existing_records(settings) as records:
        found = histories(records.engine) if records is not None else {}
    return defenders, found


def suggest(settings: Settings, needs: CaseNeeds, today: date | None = None, *, quiet: bool = False) -> Ranking:
    defenders, found = roster_and_history(settings, needs.country, quiet=quiet)
    return rank(defenders, needs, found, settings.suggest.weights, today or utc_today())


def utc_today() -> date:
    """The case's own rules count days in UTC (``workflow.now()``): so do staff's, or they would disagree at night."""
    return datetime.now(UTC).date()


def ranking_view(ranking: Ranking, *, top: int | None = None, title: str = "Suggested Defenders") -> RenderableType:
    shown = ranking.suggestions[:top] if top else ranking.suggestions
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("Defender", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("why")
    for i, s in enumerate(shown, 1):
        table.add_row(str(i), s.defender_id, f"{s.score:.2f}", escape("; ".join(s.reasons)))
    if not shown:
        table.add_row("", "—", "", "no eligible Defender in the roster for this case")
    parts: list[RenderableType] = [table]
    if ranking.excluded and top is None:
        lines = [Text.assemble(("  not suggested: ", "bold"), e.reason,
                               (" (can be assigned with --override \"why\")", "dim") if e.overridable else "")
                 for e in ranking.excluded]
        parts += lines
    return Group(*parts)
