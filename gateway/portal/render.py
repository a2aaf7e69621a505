"""Page rendering: one Jinja environment, locale formatting filters, and the headers every page carries.

Every response is ``no-store`` and ``no-referrer`` because the URL holds the party's capability token: it
must not sit in a shared cache or leak to DocuSign or Stripe in a ``Referer`` header.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from casefac.contract_draft import system_text
from casefac.i18n import LOCALES, NATIVE_NAMES, decimal_mark, format_day, format_money, format_number
from casefac.money import Money
from gateway.headers import baseline
from gateway.portal.catalog import Lang, problems, translate, translator

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: The pages' own copy of the baseline (``gateway/headers.py`` adds it to every response as well).
SECURITY_HEADERS = baseline(live=False)


@cache
def environment() -> Environment:
    """Strict undefined: a typo in a template fails the tests instead of showing a blank to a Defender."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def formatters(lang: Lang) -> dict[str, Callable[..., str]]:
    """Locale formatting for templates: ``day``, ``money``, ``number`` in the page's language."""

    def day(value: date | datetime | str | None) -> str:
        return "" if value is None or value == "" else format_day(value, lang)

    def money(value: Money | None) -> str:
        return "" if value is None else format_money(value.amount, value.currency, lang)

    def minor(amount: int, currency: str) -> str:
        return format_money(amount, currency, lang)

    def number(value: int | Decimal | str) -> str:
        return format_number(Decimal(value), lang)

    def decimal(example: str) -> str:
        """``1.5`` written with the page language's decimal mark (``1,5`` in French)."""
        return example.replace(".", decimal_mark(lang))

    return {"day": day, "money": money, "minor": minor, "number": number, "decimal": decimal}


def mailto(address: str | None) -> Markup:
    """A tappable ``mailto:`` link for an address shown on a page."""
    if not address:
        return Markup("")
    safe = escape(address)
    return Markup(f'<a href="mailto:{safe}">{safe}</a>')


def country_name(code: str, lang: Lang) -> str:
    """``GT`` → ``Guatemala`` in the page's language (Babel's CLDR names)."""
    return str(Locale.parse(LOCALES[lang]).territories.get(code, code))


def page(template: str, lang: Lang, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in ``lang``; ``context`` must give everything the template names."""
    values: dict[str, Any] = {"lang": lang, "t": translator(lang), "case_id": None, "lang_links": {},
                              "native_names": NATIVE_NAMES, "mailto": mailto, "focus": None, "errors": {},
                              "problems": lambda count: problems(lang, count),
                              "country_name": lambda code: country_name(code, lang),
                              "system_text": lambda text: system_text(text, lang),
                              "tr_service": lambda code: translate(lang, f"service.{code}"),
                              **formatters(lang), **context}
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
