"""An in-process cache of OAuth access tokens, renewed a margin before they expire.

DocuSign tokens last about an hour and each grant costs a call against the hourly API budget, so every
activity in the worker process shares one token per (OAuth host, integration key, user). The lock is held
while fetching so concurrent activities wait for one grant instead of each asking for their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

#: Renew this long before expiry, so a token never expires in the middle of an activity.
RENEW_MARGIN_SECONDS = 300.0


@dataclass
class _Entry:
    token: str
    expires_at: float


class TokenCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 margin_seconds: float = RENEW_MARGIN_SECONDS) -> None:
        self._clock = clock
        self._margin = margin_seconds
        self._entries: dict[Hashable, _Entry] = {}
        self._lock = threading.Lock()
        #: Grants made, per key: lets tests and metrics see that the cache is doing its job.
        self.fetches: dict[Hashable, int] = {}

    def get(self, key: Hashable, fetch: Callable[[], tuple[str, float]]) -> str:
        """A valid token for ``key``; ``fetch`` returns ``(token, lifetime_seconds)`` when a new one is due."""
        with self._lock:
            entry = self._entries.get(key)
            now = self._clock()
            if entry is not None and now < entry.expires_at - self._margin:
                return entry.token
            token, lifetime = fetch()
            self._entries[key] = _Entry(token, now + float(lifetime))
            self.fetches[key] = self.fetches.get(key, 0) + 1
            return token

    def invalidate(self, key: Hashable) -> None:
        """Forget a token the provider refused (revoked, or the clock lied)."""
        with self._lock:
            self._entries.pop(key, None)
