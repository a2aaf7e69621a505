"""UTBMS labels in the page's language: the English labels of ``casefac.utbms`` marked for the catalogs.

``casefac.utbms`` keeps English and Spanish beside each code (the LEDES file and the CLI use them); the
portal reads every language from the catalogs, so French (and any later language) needs no code change.
A test checks these msgids are exactly the English labels there.
"""

from __future__ import annotations

from casefac.i18n import N_, gettext

TASKS: dict[str, str] = {
    "L110": N_("Fact investigation / development"),
    "L120": N_("Analysis / strategy"),
    "L140": N_("Document / file management"),
    "L160": N_("Settlement / non-binding ADR"),
    "L190": N_("Other case assessment and administration"),
    "L310": N_("Written discovery"),
    "L320": N_("Document production"),
    "L330": N_("Depositions / affidavits"),
    "L390": N_("Other discovery"),
    "L440": N_("Other trial preparation and support"),
}
ACTIVITIES: dict[str, str] = {
    "A101": N_("Plan and prepare for"),
    "A102": N_("Research"),
    "A103": N_("Draft / revise"),
    "A104": N_("Review / analyze"),
    "A105": N_("Communicate (in firm)"),
    "A106": N_("Communicate (with client)"),
    "A107": N_("Communicate (other outside counsel)"),
    "A108": N_("Communicate (other external)"),
    "A109": N_("Appear for / attend"),
    "A110": N_("Manage data / files"),
    "A111": N_("Other"),
}
EXPENSES: dict[str, str] = {
    "E101": N_("Copying"),
    "E105": N_("Telephone"),
    "E107": N_("Delivery services / messengers"),
    "E108": N_("Postage"),
    "E109": N_("Local travel"),
    "E110": N_("Out-of-town travel"),
    "E111": N_("Meals"),
    "E112": N_("Court fees"),
    "E113": N_("Subpoena fees"),
    "E118": N_("Litigation support vendors"),
    "E120": N_("Private investigators"),
    "E123": N_("Other professionals (notary, translator)"),
    "E124": N_("Other"),
}


def options(table: dict[str, str], lang: str) -> list[tuple[str, str]]:
    """``(code, label)`` pairs for a select, in ``lang``."""
    return [(code, gettext(lang, message)) for code, message in table.items()]
