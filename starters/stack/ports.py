"""Is a port free, and which free port to take: checked before any child starts, so a clash is one line."""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class PortUse:
    """One port the stack binds, who binds it, and the setting that moves it."""

    service: str
    host: str
    port: int
    setting: str
    example: str

    def busy_message(self) -> str:
        return (f"port {self.port} ({self.service}) on {self.host} is already in use: stop the process that holds "
                f"it (another `casefac up`?) or move it with {self.setting}={self.example}")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now.

    SO_REUSEADDR as the servers themselves use it (uvicorn, Go's net.Listen): connections of a stopped
    stack lingering in TIME_WAIT do not block a restart, while a live listener still makes the bind fail.
    """
    resolved = "127.0.0.1" if host == "localhost" else host
    with socket.socket(_family(resolved), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((resolved, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (the demo's own stack and the tests use these)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def first_busy(uses: list[PortUse]) -> PortUse | None:
    return next((use for use in uses if not port_free(use.host, use.port)), None)
