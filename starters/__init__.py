"""Clients that start and drive cases: the staff launcher CLI (``casefac``) and its helpers."""
