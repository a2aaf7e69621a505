"""Catalog upkeep for ``make i18n`` and the catalog tests: fill the source language, check, compile.

English is the source language: its msgids are the English text, so ``fill-english`` copies each new
msgid into the English catalog (a copy editor may then change an English wording there without touching
a template). ``problems`` is what the tests assert empty: untranslated or fuzzy entries, and placeholders
that differ from the msgid's (a translation that drops ``%(case_id)s`` would show the wrong case, or fail).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from casefac.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def po_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def load(lang: str, root: Path = LOCALE_DIR) -> Catalog:
    with po_path(lang, root).open("rb") as fh:
        return read_po(fh, locale=lang)


def entries(catalog: Catalog) -> list[Message]:
    """The catalog's messages, without the header entry."""
    return [m for m in catalog if m.id]


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def problems(catalog: Catalog) -> list[str]:
    """Every untranslated, fuzzy or placeholder-changing entry, one line each."""
    out: list[str] = []
    for message in entries(catalog):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        label = ids[0][:60]
        if message.fuzzy:
            out.append(f"fuzzy: {label!r}")
        if not all(strs):
            out.append(f"untranslated: {label!r}")
            continue
        expected = set().union(*(placeholders(i) for i in ids))
        for text in strs:
            found = placeholders(text)
            # A plural form may leave out %(num)s ("one day" for n == 1); it must not add or rename any.
            if found - expected or (expected - found) - {"num", "count"}:
                out.append(f"placeholders differ: {label!r}: {sorted(expected)} vs {sorted(found)}")
    return out


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def fill_english(root: Path = LOCALE_DIR) -> int:
    """Copy msgids into the English catalog's empty (or fuzzy) msgstrs; the number filled."""
    catalog = load("en", root)
    filled = 0
    for message in entries(catalog):
        # A fuzzy English entry is a guess from a similar msgid: the msgid itself is the right English.
        if isinstance(message.id, tuple):
            if not all(message.string) or message.fuzzy:
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string or message.fuzzy:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with po_path("en", root).open("wb") as fh:
        write_po(fh, catalog, width=100, sort_by_file=True, include_lineno=False)
    return filled


def main(argv: list[str]) -> int:
    if argv[:1] == ["fill-english"]:
        print(f"i18n: {fill_english()} English entries filled from their msgids")
        return 0
    if argv[:1] == ["check"]:
        bad = {lang: problems(load(lang)) for lang in LANGUAGES}
        for lang, found in bad.items():
            for line in found:
                print(f"{lang}: {line}")
            print(f"i18n: {lang}: {len(entries(load(lang)))} entries, {len(found)} problems")
        return 1 if any(bad.values()) else 0
    print("usage: python -m casefac.i18n_tools fill-english|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
