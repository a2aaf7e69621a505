"""The worklist as people read it in a terminal: one block per section, each item on two or three lines
(case, since when, what; the provider's words; the command), so commands stay whole for copying even in an
80-column terminal."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text

from casefac.worklist import BUCKETS, OVER_90, Item, Worklist
from starters.render import age, stamp

_HEADINGS = {"staff": "Today", "finance": "Money"}
_BUCKET_ORDER = [label for _, label in BUCKETS] + [OVER_90]


def _since(item: Item) -> str:
    if item.kind == "invoice_overdue":
        return f"due {item.since:%Y-%m-%d} ({item.days} d overdue)"
    if item.kind == "invoice_open":
        return f"issued {item.since:%Y-%m-%d} (due in {item.days} d)"
    return f"since {item.since:%Y-%m-%d} ({age(item.since)})"


def _item(item: Item) -> list[RenderableType]:
    head = Text.assemble(("  " + item.case_id, "bold"), "  ", (_since(item), "dim"), "  ",
                         escape(item.what) if not item.party else f"{item.party}: {item.what}")
    if item.amount:
        head.append(f"  {item.amount}", style="bold")
    if item.escalated:
        head.append("  escalated", style="yellow")
    lines: list[RenderableType] = [head]
    if item.detail and item.kind == "attention":
        lines.append(Text("      " + item.detail, style="red"))
    lines.append(Text("      → " + item.command, style="cyan"))
    return lines


def worklist_view(w: Worklist) -> RenderableType:
    parts: list[RenderableType] = []
    title = (f"{_HEADINGS[w.audience]} · {stamp(w.at)} · {w.cases} running case(s) · "
             f"{len(w.items)} item(s)")
    parts.append(Text(title, style="bold"))
    if w.unanswered:
        parts.append(Text(f"{len(w.unanswered)} case(s) did not answer (is a worker running?): "
                          + ", ".join(w.unanswered), style="yellow"))
    if w.empty:
        parts.append(Text("Nothing needs you now.", style="green"))
    for title, items in w.sections():
        parts.append(Text(""))
        if items[0].kind == "invoice_overdue":
            for label in _BUCKET_ORDER:
                group = [i for i in items if i.bucket == label]
                if group:
                    parts.append(Text(f"{title} · {label} days ({len(group)})", style="bold underline"))
                    for item in group:
                        parts += _item(item)
            continue
        parts.append(Text(f"{title} ({len(items)})", style="bold underline"))
        for item in items:
            parts += _item(item)
    return Group(*parts)
