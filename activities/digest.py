"""The digest's one Temporal-only activity: the worklist from every running case's status.

It returns the digest (counts and the capped template context, ``casefac.digest.digest_of``), never the
whole worklist, so its result stays bounded however many cases run. It reads through the worker's own client
(``activity.client()``), the same queries ``casefac today`` makes, and changes nothing, so a retry is always
safe. ``source`` replaces the listing where the server cannot list workflows (the time-skipping test server has
no visibility API).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import activity

from casefac.digest import GATHER_ACTIVITY, Digest, GatherDigest, digest_of
from casefac.status import CaseStatus
from casefac.worklist import build
from casefac.worklist_fetch import running_statuses

Source = Callable[[], Awaitable[tuple[list[CaseStatus], list[str]]]]


class DigestActivities:
    def __init__(self, source: Source | None = None) -> None:
        self._source = source

    @activity.defn(name=GATHER_ACTIVITY)
    async def gather(self, req: GatherDigest) -> Digest:
        source = self._source or (lambda: running_statuses(activity.client()))
        statuses, unanswered = await source()
        return digest_of(build(req.audience, statuses, req.at, unanswered=unanswered))
