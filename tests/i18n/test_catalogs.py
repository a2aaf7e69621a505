"""The gettext catalogs are complete and current: every string the code and templates mark is in the es,
en and fr catalogs, translated, not fuzzy, with the same named placeholders, and each committed ``.mo`` is
exactly what its ``.po`` compiles to (``make i18n`` keeps all of this true)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from casefac.i18n import LANGUAGES, LOCALE_DIR
from casefac.i18n_tools import compiled, entries, load, mo_path, placeholders, problems

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "NP_": (1, 2), "_": None, "gettext": None, "ngettext": (1, 2)}


def _marked() -> set[str]:
    """Every msgid the sources mark today, extracted as ``make i18n`` does."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_no_untranslated_fuzzy_or_changed_placeholder_entry(lang: str) -> None:
    assert problems(load(lang)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_committed_mo_is_the_compiled_po(lang: str) -> None:
    assert mo_path(lang).read_bytes() == compiled(load(lang)), f"run `make i18n` ({lang})"


def test_every_marked_string_is_in_every_catalog() -> None:
    marked = _marked()
    assert len(marked) > 300
    for lang in LANGUAGES:
        ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries(load(lang))}
        missing = sorted(marked - ids)
        assert not missing, f"{lang}: not in the catalog (run `make i18n`): {missing[:5]}"


def test_the_checker_catches_what_it_must() -> None:
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="fr")
    catalog.add("Case %(case_id)s", "Dossier %(dossier)s")
    catalog.add("Untranslated", "")
    catalog.add("Fuzzy", "Flou", flags=["fuzzy"])
    catalog.add(("%(num)s day", "%(num)s days"), ("%(num)s jour", "%(num)s de jours", "%(num)s jours"))
    found = problems(catalog)
    assert any("placeholders differ" in p and "Case" in p for p in found)
    assert any("untranslated" in p and "Untranslated" in p for p in found)
    assert any("fuzzy" in p and "Fuzzy" in p for p in found)
    assert not any("day" in p for p in found)
    assert placeholders("%(a)s and %(b)d") == {"a", "b"}
