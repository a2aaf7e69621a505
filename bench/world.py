"""What every case run shares: the client, an HTTP client for the sandbox, settings, the sample parties.

The sample is the demo's (``starters.demo.sample``): a Guatemalan Defender paid by Stripe Connect, a
protection case, 3.5 h plus GTQ 250.00 of bus fares at 0.13. Each bench case gets its own case id and its
own Advocate, so every lifecycle includes the one-time Advocate Agreement, as the demo's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from temporalio.client import Client

from casefac.case import CaseRequest
from casefac.parties import Actor, Defender, Role
from casefac.roster import Roster, parse_roster
from casefac.settings import Settings
from starters.demo.sample import sample_case
from starters.staff_signing import DEV_KEYS_DIR, enroll

#: The bench's coordinator. Its cases require signed staff updates, as every case on ``casefac up``'s stack
#: does: :func:`enroll_staff` gives it a development key, so each staff update is signed and verified.
STAFF = Actor(role=Role.STAFF, id="coord.bench")
#: Case ids the bench uses: ``JIM-<year>-<BASE + i>`` (six digits), on a fresh private server.
CASE_NUMBER_BASE = 100_000


@dataclass
class BenchWorld:
    client: Client
    http: httpx.AsyncClient
    settings: Settings
    roster: Roster
    parties: str  # "updates" or "portal"
    step_timeout: float

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.settings.sandbox.host}:{self.settings.sandbox.port}"

    @property
    def gateway_url(self) -> str:
        return self.settings.gateway.public_url.rstrip("/")


def enroll_staff(settings: Settings) -> None:
    """A development key for :data:`STAFF` beside the stack's own (``<data dir>/staff-keys``), registered in the
    stack's staff directory, so ``starters.staff_actions`` signs the bench's staff updates as the CLI signs a
    member's (the bench's cases require signatures: ``casefac up`` sets ``CASEFAC_STAFF__REQUIRE_SIGNATURES``)."""
    enroll(settings, STAFF.id, STAFF.role.value, by="casefac-bench", name="Bench coordinator",
           keys_dir=settings.data_dir.expanduser() / DEV_KEYS_DIR)


def load_roster(settings: Settings) -> Roster:
    return parse_roster(settings.roster_file.read_text(encoding="utf-8"))


def bench_case(roster: Roster, index: int) -> tuple[CaseRequest, Defender]:
    """Case ``index`` (0 is the warm-up case): the demo's sample with a bench case id and its own Advocate."""
    today = datetime.now(UTC).date()
    demo = sample_case(roster, today=today)
    number = CASE_NUMBER_BASE + index
    advocate = demo.request.advocate.model_copy(update={
        "id": f"ADV-BENCH-{number}", "email": f"dana.{number}@whitfield-law.example.com"})
    request = demo.request.model_copy(update={"case_id": f"JIM-{today.year}-{number}", "advocate": advocate,
                                              "opened_by": STAFF})
    return request, demo.defender
