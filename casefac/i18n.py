"""Languages, gettext catalogs and locale formatting: the one place every reader's language is decided.

Strings are written in English in the templates (``{% trans %}``) and in Python (``N_`` marks a message
for extraction; ``gettext(lang, ...)`` translates at the moment of use). The catalogs live in
``casefac/locale/<lang>/LC_MESSAGES/messages.po``; ``make i18n`` extracts, updates and compiles them, and
the compiled ``.mo`` files are committed beside them (a fresh clone and a wheel need no build step; a test
fails when a ``.mo`` no longer matches its ``.po``). Placeholders are named (``%(case_id)s``), as gettext
and Babel's checker expect, so a translator can reorder them.

Dates and numbers use Babel's CLDR data: Latin-American Spanish, U.S. English and Canadian French.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import BaseLoader, Environment, StrictUndefined, Undefined

from casefac.money import EXPONENT

Lang = Literal["es", "en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("es", "en", "fr")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

#: Babel locales: Latin-American Spanish, U.S. English, Canadian French.
LOCALES: MappingProxyType[Lang, str] = MappingProxyType({"es": "es_419", "en": "en_US", "fr": "fr_CA"})
#: What each language calls itself (language switch links).
NATIVE_NAMES: MappingProxyType[Lang, str] = MappingProxyType({"es": "Español", "en": "English", "fr": "Français"})


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated where it is shown)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction as one plural entry (translated with ``ngettext``)."""
    return singular, plural


def language(value: str | None, default: Lang = "en") -> Lang:
    """A supported language for any stored value (an unknown one reads ``default``)."""
    return value if value in LANGUAGES else default  # type: ignore[return-value]


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang``; English without a catalog falls back to the msgids themselves."""
    return Translations.load(str(LOCALE_DIR), [language(lang)], DOMAIN)


def gettext(lang: str, message: str, **values: Any) -> str:
    """``message`` in ``lang``, with named placeholders filled (``%(name)s``)."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def ngettext(lang: str, singular: str, plural: str, n: int, **values: Any) -> str:
    """The plural form of ``lang`` for ``n`` (``num`` is available as a placeholder, as in Jinja)."""
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def jinja_environment(lang: str, loader: BaseLoader, *, autoescape: bool, strict: bool,
                      globals_: Mapping[str, Any] | None = None) -> Environment:
    """A Jinja environment with the i18n extension bound to ``lang``'s catalog (newstyle gettext).

    One environment per language (and escaping mode), cached by the callers: templates compile once per
    language and a render never switches catalog halfway. ``trimmed`` collapses the whitespace of
    multi-line ``{% trans %}`` blocks, so translators see one clean sentence.
    """
    env = Environment(loader=loader, autoescape=autoescape, undefined=StrictUndefined if strict else Undefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update({"lang": lang, **(globals_ or {})})
    return env


def format_day(value: date | datetime | str, lang: str) -> str:
    """``1 de mayo de 2026`` / ``May 1, 2026`` / ``1er mai 2026``; an unparseable string is shown as given."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=LOCALES[language(lang)])


def format_money(amount_minor: int, currency: str, lang: str) -> str:
    """``USD 1,230.00`` (``USD 1 230,00`` in French) from integer minor units, never through float.

    The ISO code, not a symbol: USD, CAD and MXN all write ``$``, and a Defender must never wonder which.
    Spanish keeps the decimal point: Mexico and Central America write amounts that way.
    """
    exponent = EXPONENT.get(currency, 2)
    value = Decimal(amount_minor).scaleb(-exponent)
    pattern = "#,##0" + ("." + "0" * exponent if exponent else "")
    return f"{currency} {format_decimal(value, format=pattern, locale=LOCALES[language(lang)])}"


def format_number(value: int | Decimal, lang: str) -> str:
    return format_decimal(value, locale=LOCALES[language(lang)])


def decimal_mark(lang: str) -> str:
    """The decimal separator readers of ``lang`` write (``.`` in es_419 and en, ``,`` in fr_CA)."""
    return format_decimal(Decimal("1.5"), locale=LOCALES[language(lang)])[1]
