"""casefac: the shared, sandbox-safe core (models, settings, codec, roster, templates).

Everything here may be imported by workflow code, so nothing in this package performs I/O at import
time or reads clocks; I/O helpers that live here are called only from activities, workers or clients.
"""
