"""C1, m9, m10 on the local stack: the UI reaches a loopback codec with no secret anywhere in its argv, and
``stack.json`` is owner-only from its first byte."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

import pytest
from rich.console import Console

from casefac.settings import Settings
from starters.stack import running
from starters.stack.plan import PlanError, environ, make_plan
from starters.stack.spec import StackSpec, TemporalSpec
from starters.stack.up import LocalStack


def _settings(**env: str) -> Settings:
    with environ(env):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_dev_server_gets_a_loopback_codec_url_without_a_secret(tmp_path: Path) -> None:
    settings = _settings(CASEFAC_DATA_DIR=str(tmp_path))
    stack = LocalStack(settings, StackSpec(), console=Console(file=io.StringIO()), record=False)
    argv = stack._temporal_argv("temporal")
    endpoint = argv[argv.index("--ui-codec-endpoint") + 1]
    assert endpoint == "http://127.0.0.1:8402" and "codec" not in endpoint.split("//", 1)[1]
    secrets = [settings.gateway.link_secret.get_secret_value()]
    assert not any(secret in arg for arg in argv for secret in secrets)
    assert stack.plan.env["CASEFAC_CODEC__UI_ORIGIN"] == stack.plan.ui_url
    assert "8400" not in endpoint  # never the public gateway's listener


def test_an_old_spec_with_the_token_template_is_refused(tmp_path: Path) -> None:
    spec = StackSpec(temporal=TemporalSpec(ui_codec_endpoint="{gateway_url}/codec/{codec_token}"))
    with pytest.raises(PlanError, match="codec_url"):
        make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path)), spec)


def test_up_refuses_a_codec_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="loopback"):
        make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path), CASEFAC_CODEC__HOST="0.0.0.0"), StackSpec())


def test_stack_json_is_never_readable_by_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """m10: a crash between writing and chmod-ing must not leave the file world-readable."""
    def crash(*_: object, **__: object) -> None:
        raise OSError("crashed before chmod")

    monkeypatch.setattr(Path, "chmod", crash)
    old = os.umask(0)
    try:
        with contextlib.suppress(OSError):
            running.write(tmp_path, running.RunningStack(pid=os.getpid(), env={"CASEFAC_DATA_DIR": "x"}, urls={}))
    finally:
        os.umask(old)
    files = list(tmp_path.iterdir())
    assert files, "nothing written"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))
