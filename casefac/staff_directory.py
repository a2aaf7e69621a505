"""The staff directory as workflows see it: who holds which public key, in which role, revoked when.

The system of record is the ``staff_members`` table of the case record (``records/staff_directory.py``,
``casefac staff add/list/revoke``); workflows receive a snapshot through the ``staff.load_directory``
activity (``activities/staff.py``) and keep it in their state, so verifying an assertion needs no I/O.
Private keys never leave the member's own config directory (``key_path``).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: The activity that reads the directory (``activities/staff.py``).
LOAD_STAFF_DIRECTORY = "staff.load_directory"
#: The update a workflow runs the activity on when a staff key is new to it (``workflows/guard.py``).
REFRESH_STAFF_DIRECTORY = "refresh_staff_directory"

StaffRole = Annotated[str, Field(pattern=r"^(staff|finance)$")]


class StaffKey(BaseModel):
    """One member's public key; a revoked key stays listed so what it signed stays attributable."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    staff_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")]
    role: StaffRole
    key_id: Annotated[str, Field(min_length=8, max_length=64)]
    #: Raw Ed25519 public key, standard base64 (44 characters).
    public_key: Annotated[str, Field(min_length=40, max_length=64)]
    added_at: datetime
    revoked_at: datetime | None = None


class StaffDirectory(BaseModel):
    """What ``staff.load_directory`` returns and the workflow keeps (``CaseState.staff_directory``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    keys: Annotated[list[StaffKey], Field(max_length=2000)] = []
    #: ``workflow.now()`` when the workflow received it (the activity leaves it None).
    loaded_at: datetime | None = None

    def key(self, key_id: str) -> StaffKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)


class LoadStaffDirectory(BaseModel):
    """The activity's input: nothing to choose today; a model so fields can be added compatibly."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def default_keys_dir() -> Path:
    """The member's own config dir: ``$CASEFAC_HOME/staff`` or ``~/.config/casefac/staff``."""
    home = os.environ.get("CASEFAC_HOME")
    base = Path(home).expanduser() if home else Path("~/.config/casefac").expanduser()
    return base / "staff"


def key_path(keys_dir: Path, staff_id: str) -> Path:
    return keys_dir / f"{staff_id}.key"

#: What a refusal says when the workflow needs a fresher directory: the CLI then refreshes and retries once.
REFRESH_HINT = "refreshing — try again"
