"""Search attributes: the only case data Temporal indexes in the clear, so only ids, codes, amounts and dates.

The money view (README "For finance") answers finance's four daily questions from these alone:

* which invoices are unpaid: ``InvoiceStatus`` (the worst status of the case's invoices);
* how much: ``InvoiceTotal``, a Double in **major units** (``InvoiceTotal > 1000`` means more than 1,000.00)
  with ``InvoiceCurrency`` beside it. A Double only ever indexes a figure computed from integer minor units
  (``Money``); nothing is computed from it. ``InvoiceAmount`` (Int, minor units: cents) stays for scripts
  and for the cases that set it before ``InvoiceTotal`` existed;
* since when: ``InvoiceIssued`` and ``InvoiceDue`` (Datetime) of the invoice that matters (the oldest one
  not paid, else the newest);
* was the Defender paid: ``PayoutStatus`` (``pending`` while any payout waits, else ``paid``).

``WaitingOn`` (a keyword list: ``staff``, ``advocate``, ``defender``, ``finance``, ``provider``) and
``WaitingSince`` say whom the case waits for, for ``casefac list --waiting-on`` and ``casefac today``.
"""

from __future__ import annotations

from types import MappingProxyType

from temporalio.common import SearchAttributeKey

CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
CASE_COUNTRY = SearchAttributeKey.for_keyword("CaseCountry")
DEFENDER_ID = SearchAttributeKey.for_keyword("DefenderId")
ADVOCATE_ID = SearchAttributeKey.for_keyword("AdvocateId")
INVOICE_STATUS = SearchAttributeKey.for_keyword("InvoiceStatus")
INVOICE_AMOUNT = SearchAttributeKey.for_int("InvoiceAmount")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")
INVOICE_TOTAL = SearchAttributeKey.for_float("InvoiceTotal")
INVOICE_CURRENCY = SearchAttributeKey.for_keyword("InvoiceCurrency")
INVOICE_ISSUED = SearchAttributeKey.for_datetime("InvoiceIssued")
INVOICE_DUE = SearchAttributeKey.for_datetime("InvoiceDue")
PAYOUT_STATUS = SearchAttributeKey.for_keyword("PayoutStatus")
WAITING_ON = SearchAttributeKey.for_keyword_list("WaitingOn")
WAITING_SINCE = SearchAttributeKey.for_datetime("WaitingSince")

ALL = (CASE_STAGE, CASE_COUNTRY, DEFENDER_ID, ADVOCATE_ID, INVOICE_STATUS, INVOICE_AMOUNT, NEEDS_ATTENTION,
       INVOICE_TOTAL, INVOICE_CURRENCY, INVOICE_ISSUED, INVOICE_DUE, PAYOUT_STATUS, WAITING_ON, WAITING_SINCE)

#: The SDK's indexed value type name → the name ``temporal`` CLI flags and the UI use.
KINDS = MappingProxyType({"KEYWORD": "Keyword", "INT": "Int", "BOOL": "Bool", "DOUBLE": "Double",
                          "DATETIME": "Datetime", "KEYWORD_LIST": "KeywordList", "TEXT": "Text"})

#: Whom a case can wait on, as ``WaitingOn`` spells it.
WAITING_PARTIES = ("staff", "advocate", "defender", "finance", "provider")


def kind_name(key: SearchAttributeKey) -> str:  # type: ignore[type-arg]
    return KINDS[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]


def cli_flags() -> list[str]:
    """``--search-attribute K=Type`` pairs for ``temporal server start-dev``."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kind_name(key)}"]
    return flags
