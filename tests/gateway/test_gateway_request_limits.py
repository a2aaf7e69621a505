"""Attack (review M1): a huge chunked POST to ``/p/<anything>`` must be refused at once, body unread.

Before the fix the portal parsed the whole urlencoded form (Starlette buffered it without limits, and a
chunked body skipped the Content-Length check) and only then looked at the token. The gateway runs here
under a real uvicorn on a free loopback port; an ASGI wrapper counts the body bytes the app pulls, so the
assertions are about bytes read, not timing.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from casefac.activity_io import PortalAction
from casefac.links import LinkSigner
from casefac.parties import Role
from casefac.settings import GatewaySettings, Settings
from gateway.app import create_app
from sandbox.threaded import ThreadedServer

SECRET = "limits-test-link-secret-0123456789abcdef"
TEN_MB = 10 * 1024 * 1024


class Counting:
    """ASGI wrapper: how many request-body bytes the app read."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Counting, Settings]]:
    settings = Settings(_env_file=None, data_dir=tmp_path,  # type: ignore[call-arg]
                        gateway=GatewaySettings(public_url="http://127.0.0.1", link_secret=SecretStr(SECRET)))

    async def no_temporal() -> Client:
        raise RuntimeError("these requests must never reach Temporal")

    app = Counting(create_app(settings, no_temporal))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = ThreadedServer(app, sock, name="limits-uvicorn", server_header=False)
    server.start(wait=True)
    try:
        yield sock.getsockname()[1], app, settings
    finally:
        server.stop()
        sock.close()


def _chunked_post(port: int, path: str, content_type: str = "application/x-www-form-urlencoded",
                  total: int = TEN_MB) -> tuple[int, int]:
    """Stream ``total`` bytes as a chunked body until the server answers; (status, bytes sent)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b"a=" + b"x" * (64 * 1024 - 2)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    conn.setblocking(False)
    while sent < total:
        readable, writable, _ = select.select([conn], [conn], [], 5)
        if readable or not writable:
            break  # the server answered (or stopped reading): stop sending
        try:
            sent += conn.send(frame)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            break
    conn.setblocking(True)
    conn.settimeout(10)
    head = b""
    while b"\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            break
        head += data
    conn.close()
    return int(head.split(b" ", 2)[1]), sent


def test_a_huge_chunked_post_with_a_forged_token_is_refused_without_reading_the_body(
        served: tuple[int, Counting, Settings]) -> None:
    port, app, _ = served
    status, _ = _chunked_post(port, "/p/anything")
    assert status == 403
    assert app.read <= 64 * 1024  # at most what uvicorn handed over before the answer; nothing parsed


def test_a_huge_chunked_post_with_a_genuine_token_stops_at_the_form_limit(
        served: tuple[int, Counting, Settings]) -> None:
    port, app, settings = served
    action = PortalAction(action="evaluate", role=Role.DEFENDER, party_id="DEF-GT-001", case_id="JIM-2026-0042")
    token = LinkSigner.from_settings(settings.gateway).token(action, datetime.now(UTC))
    status, _ = _chunked_post(port, f"/p/{token}")
    assert status == 413
    # The form limit plus what uvicorn had buffered in its last message: never the 10 MB.
    assert app.read <= 256 * 1024 + 256 * 1024


def test_uploads_are_refused_on_pages_that_take_no_files(served: tuple[int, Counting, Settings]) -> None:
    port, _, settings = served
    action = PortalAction(action="update_task", role=Role.DEFENDER, party_id="DEF-GT-001", case_id="JIM-2026-0042")
    token = LinkSigner.from_settings(settings.gateway).token(action, datetime.now(UTC))
    body = (b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall((f"POST /p/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: multipart/form-data; boundary=B\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
        head = conn.recv(4096)
    assert head.split(b" ", 2)[1] in (b"400", b"403")


def test_the_report_page_takes_receipts_but_not_an_oversized_one(served: tuple[int, Counting, Settings]) -> None:
    """Only the report page takes files, each at most 5 MB (12 MB in all); a 6 MB receipt is 413."""
    port, _, settings = served
    action = PortalAction(action="submit_report", role=Role.DEFENDER, party_id="DEF-GT-001",
                          case_id="JIM-2026-0042")
    token = LinkSigner.from_settings(settings.gateway).token(action, datetime.now(UTC))
    body = (b"--B\r\nContent-Disposition: form-data; name=\"receipt\"; filename=\"r.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + b"%" * (6 * 1024 * 1024) + b"\r\n--B--\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall((f"POST /p/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: multipart/form-data; boundary=B\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
        head = conn.recv(4096)
    assert head.split(b" ", 2)[1] == b"413"
