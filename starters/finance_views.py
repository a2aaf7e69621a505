"""Finance's saved views in the Temporal UI: each a visibility query and a ready link (``?query=``).

The README's "For finance" lists the same views; ``casefac up`` prints their links for the local UI, and
the browser test opens them. Only search attributes appear (``casefac.search_attributes``).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

UNPAID = '("open", "payment_failed", "draft", "uncollectible")'
CASES = 'WorkflowType = "CaseFacilitationWorkflow"'


def views(today: date | None = None) -> dict[str, str]:
    """View name → query. ``today`` dates the overdue view (the UI has no "now" in a query)."""
    found = {
        "Invoices not paid yet": f"{CASES} AND InvoiceStatus IN {UNPAID}",
        "Failed payments": f'{CASES} AND InvoiceStatus = "payment_failed"',
        "Defenders not yet paid": f'{CASES} AND PayoutStatus = "pending"',
        "Needs a person (attention)": f"{CASES} AND NeedsAttention = true",
        "Waiting on finance": f'{CASES} AND WaitingOn = "finance"',
        # One currency per view (review m14): USD 1,000.00 and CAD 1,000.00 are not the same amount.
        "Invoices over USD 1,000.00": f'{CASES} AND InvoiceCurrency = "USD" AND InvoiceTotal > 1000',
        "Invoices over CAD 1,000.00": f'{CASES} AND InvoiceCurrency = "CAD" AND InvoiceTotal > 1000',
    }
    if today is not None:
        found["Invoices overdue"] = (f"{CASES} AND InvoiceStatus IN {UNPAID} AND "
                                     f'InvoiceDue < "{today.isoformat()}T00:00:00Z"')
    return found


def link(ui_base: str, namespace: str, query: str) -> str:
    """The workflow list of ``namespace`` filtered by ``query`` (UI 2.x reads ``?query=``)."""
    return f"{ui_base.rstrip('/')}/namespaces/{namespace}/workflows?query={quote(query, safe='')}"
