"""``python -m sandbox [--oauth-port N] [--certfile F --keyfile K]``; settings from ``SANDBOX_*`` env."""

from __future__ import annotations

import argparse

from sandbox.config import SandboxConfig
from sandbox.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="casefac provider sandbox (DocuSign, SendGrid, Stripe)")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--oauth-port", type=int, help="extra HTTPS listener for DocuSign OAuth (0 = any)")
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    config = SandboxConfig(**overrides)  # type: ignore[arg-type]
    serve(
        config,
        certfile=args.certfile,
        keyfile=args.keyfile,
        oauth_port=args.oauth_port,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
