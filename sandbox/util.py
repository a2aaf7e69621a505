"""Small helpers shared by the emulators: ids, clocks, JSON responses."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse


def new_id(prefix: str) -> str:
    """Stripe-like id (``cus_…``) so consumers can rely on the prefixes."""
    return f"{prefix}_{secrets.token_hex(12)}"


def new_uuid() -> str:
    """DocuSign uses UUIDs for envelope ids."""
    return str(uuid.uuid4())


def now_ts() -> int:
    """Unix seconds, the Stripe/SendGrid notion of time."""
    return int(time.time())


def iso_now() -> str:
    """DocuSign-style UTC timestamp with 7 fractional digits and a ``Z``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


def json_response(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """Shorthand that keeps handler code terse."""
    return JSONResponse(data, status_code=status_code, headers=headers)
