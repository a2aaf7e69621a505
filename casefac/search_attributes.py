"""Search attributes: the only case data Temporal indexes in the clear, so only ids, codes and amounts."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
CASE_COUNTRY = SearchAttributeKey.for_keyword("CaseCountry")
DEFENDER_ID = SearchAttributeKey.for_keyword("DefenderId")
ADVOCATE_ID = SearchAttributeKey.for_keyword("AdvocateId")
INVOICE_STATUS = SearchAttributeKey.for_keyword("InvoiceStatus")
INVOICE_AMOUNT = SearchAttributeKey.for_int("InvoiceAmount")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")

ALL = (CASE_STAGE, CASE_COUNTRY, DEFENDER_ID, ADVOCATE_ID, INVOICE_STATUS, INVOICE_AMOUNT, NEEDS_ATTENTION)


def cli_flags() -> list[str]:
    """``--search-attribute K=Type`` pairs for ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int", "BOOL": "Bool"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
