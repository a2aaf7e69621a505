"""The workflow validators' rules (``workflows/rules.py``, English) in the party's language.

Only wordings a party can meet on the portal are listed; anything else is shown as the workflow wrote it,
which is still the truth, just in English. Dates inside a rule are reformatted for the locale.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from casefac.mail_render import format_day
from gateway.portal.catalog import translate

_Rule = tuple[re.Pattern[str], str, Callable[[re.Match[str], str], dict[str, str]]]


def _plain(m: re.Match[str], _lang: str) -> dict[str, str]:
    return m.groupdict()


def _dates(*names: str) -> Callable[[re.Match[str], str], dict[str, str]]:
    def values(m: re.Match[str], lang: str) -> dict[str, str]:
        return {k: (format_day(v, lang) if k in names else v) for k, v in m.groupdict().items()}
    return values


RULES: list[_Rule] = [
    (re.compile(r"^say briefly why you decline$"), "rule.decline_reason", _plain),
    (re.compile(r"^must be between the case's opening \((?P<opened>[\d-]+)\) and today \((?P<today>[\d-]+)\)$"),
     "rule.date_range", _dates("opened", "today")),
    (re.compile(r"^revision (?P<current>\d+) is current; reload it before editing \(you sent (?P<sent>\d+)\)$"),
     "rule.stale_revision", _plain),
    (re.compile(r"^revision (?P<current>\d+) is current; you approved (?P<sent>\d+)$"), "rule.stale_revision",
     _plain),
    (re.compile(r"^already approved by \w+$"), "rule.already_approved", _plain),
    (re.compile(r"^a report is already waiting for review$"), "rule.report_waiting", _plain),
    (re.compile(r"^(?P<hours>[\d.]+) hours on (?P<day>[\d-]+) is more than a day holds$"), "rule.day_hours",
     _dates("day")),
    (re.compile(r"^it is out for signature; it can change only if a signer declines$"), "rule.out_for_signature",
     _plain),
    (re.compile(r"^you already evaluated this case$"), "rule.already_evaluated", _plain),
    (re.compile(r"^already reported$"), "rule.already_reported", _plain),
    (re.compile(r"^the case is in \w+; this is possible only in .+$"), "rule.stage", _plain),
    (re.compile(r"^there is no open assignment offer$"), "rule.no_offer", _plain),
]


def localize_rule(rule: str, lang: str) -> str:
    """``rule`` (the part after ``field:``) in ``lang`` when known, else unchanged."""
    for pattern, key, values in RULES:
        match = pattern.match(rule)
        if match:
            return translate(lang, key, **values(match, lang))
    return rule
