"""Codes shown as words: services, countries, matter types, roles, task statuses, results, report kinds.

Every code a person can meet (in an email, on a portal page, in a signed document) goes through here, in
the reader's language, so nobody reads ``locate_client`` where they should read "Locate the client".
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from babel import Locale

from casefac.i18n import LOCALES, N_, gettext, language

SERVICES: MappingProxyType[str, str] = MappingProxyType({
    "locate_client": N_("Locate the client"),
    "facilitate_communication": N_("Facilitate communication"),
    "settlement_coordination": N_("Coordinate a settlement"),
    "witness_affidavit": N_("Witness affidavit"),
    "document_collection": N_("Collect documents"),
    "service_of_process": N_("Service of process"),
})
MATTERS: MappingProxyType[str, str] = MappingProxyType({
    "rights_violation": N_("rights violation"),
    "protection": N_("protection"),
})
ROLES: MappingProxyType[str, str] = MappingProxyType({
    "advocate": N_("Advocate"),
    "defender": N_("Defender"),
    "staff": N_("Justice in Motion"),
    "finance": N_("Justice in Motion finance"),
})
TASK_STATUSES: MappingProxyType[str, str] = MappingProxyType({
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "blocked": N_("Blocked"),
})


# TRANSLATORS: what separates the services in a list ("Locate the client; Collect documents").
LIST_SEPARATOR = N_("; ")


def label(table: dict[str, str], code: str, lang: str) -> str:
    """The word for ``code`` in ``lang``; an unknown code is shown as given rather than hidden."""
    message = table.get(code)
    return gettext(lang, message) if message else code


def service(code: str, lang: str) -> str:
    return label(SERVICES, code, lang)


def services(codes: str | Iterable[str], lang: str) -> str:
    """``"locate_client, document_collection"`` (as the workflow writes them) or a list → words, joined."""
    items = [c.strip() for c in codes.split(",")] if isinstance(codes, str) else [str(c) for c in codes]
    return gettext(lang, LIST_SEPARATOR).join(service(c, lang) for c in items if c)


def country(code: str, lang: str) -> str:
    """``GT`` → ``Guatemala`` in the reader's language (Babel's CLDR names); a name is kept as given."""
    return str(Locale.parse(LOCALES[language(lang)]).territories.get(code, code))
