"""File names for extracted receipts: the Defender's own names, made unique within one folder."""

from __future__ import annotations


def unique_name(name: str, taken: set[str]) -> str:
    """``bus.png``, then ``bus (2).png``…: two receipts with one name do not overwrite each other."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}){'.' + ext if ext else ''}"
    taken.add(candidate)
    return candidate
