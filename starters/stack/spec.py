"""``temporal-dev.yml``: the description of the local stack, read into a validated model.

Found in the working directory first (a checkout), then beside the installed packages; without a file
the built-in defaults (the same values) apply, so ``casefac up`` works from any directory.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from casefac.search_attributes import cli_flags

SPEC_NAME = "temporal-dev.yml"
REPO_ROOT = Path(__file__).resolve().parents[2]

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

AttributeType = Literal["Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList"]


def code_search_attributes() -> dict[str, str]:
    """The search attributes the code upserts (``casefac.search_attributes``), as ``{name: type}``."""
    flags = cli_flags()
    return dict(pair.split("=", 1) for pair in flags[1::2])


class TemporalSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int = 8233
    namespace: str = "default"
    db_filename: Path = Path("temporal.sqlite")
    log_level: Literal["debug", "info", "warn", "error", "never"] = "warn"
    search_attributes: dict[str, AttributeType] = code_search_attributes()  # type: ignore[assignment]
    #: Where the UI decrypts: the codec service's URL (``{codec_url}``), never a URL carrying a secret.
    ui_codec_endpoint: str = "{codec_url}"
    #: ``--dynamic-config-value`` settings of the dev server.
    dynamic_config: dict[str, int | float | bool | str] = {
        "matching.numTaskqueueReadPartitions": 1,
        "matching.numTaskqueueWritePartitions": 1,
    }
    #: How long the namespace keeps closed workflows ("30d", "12h", ISO 8601 or seconds); set on every start,
    #: because start-dev creates the namespace with 24 h and has no flag for it.
    retention: timedelta = timedelta(days=30)

    @field_validator("retention", mode="before")
    @classmethod
    def _short_duration(cls, value: object) -> object:
        """``12h`` as well as ``30d`` (pydantic alone reads only the latter); anything else as pydantic does."""
        match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", value) if isinstance(value, str) else None
        return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]]) if match else value

    @field_validator("retention")
    @classmethod
    def _whole_positive_seconds(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value.microseconds:
            raise ValueError("retention must be a positive whole number of seconds, e.g. 30d or 12h")
        return value


class SandboxSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = 8300
    oauth_port: int = 8301
    state_file: Path = Path("sandbox/state.json")


class GatewaySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = 8400


class CodecSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = 8402


class WorkerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: True: two processes, one for the workflow code and one for the activities (``casefac worker
    #: --role``). One process is the default: measured with ``casefac bench`` on two cores the split
    #: gained nothing, and activities on the workflows' own queue can then start eagerly.
    split: bool = False


class ServicesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sandbox: SandboxSpec = SandboxSpec()
    gateway: GatewaySpec = GatewaySpec()
    codec: CodecSpec = CodecSpec()
    worker: WorkerSpec = WorkerSpec()


class StackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temporal: TemporalSpec = TemporalSpec()
    services: ServicesSpec = ServicesSpec()


class SpecError(ValueError):
    """``temporal-dev.yml`` is unreadable, invalid or out of step with the code."""


def find_spec(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    for candidate in (Path.cwd() / SPEC_NAME, REPO_ROOT / SPEC_NAME):
        if candidate.is_file():
            return candidate
    return None


def load_spec(path: Path | None = None) -> StackSpec:
    """The stack spec from ``path`` (or the one :func:`find_spec` finds), checked against the code."""
    found = find_spec(path)
    if found is None:
        return StackSpec()
    try:
        spec = StackSpec.model_validate(yaml.safe_load(found.read_text(encoding="utf-8")) or {})
    except OSError as exc:
        raise SpecError(f"cannot read {found}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise SpecError(f"{found} is invalid: {exc}") from exc
    expected = code_search_attributes()
    if spec.temporal.search_attributes != expected:
        raise SpecError(f"{found}: temporal.search_attributes {spec.temporal.search_attributes} differ from "
                        f"casefac/search_attributes.py {expected}; make them equal")
    return spec
