"""``python -m bench.sandbox_child``: the sandbox exactly as ``casefac sandbox`` configures it, state in memory.

Why not ``casefac sandbox`` itself: it mirrors the emulators' whole state to one JSON file on every change
(``sandbox/state.py``: ``commit`` dumps every table, email bodies and envelope documents included). That
costs O(total state) per request, about 190 KB more per case, so over N cases the sandbox's own
persistence grows quadratically and, well before N = 500, it alone sets the pace. That measures the
emulator, not casefac. This child keeps everything else identical (settings, keys, webhook targets,
Connect HMAC keys, the TLS OAuth listener, the SendGrid signing key the gateway verifies) and only leaves
the file out. ``casefac bench --sandbox-file`` keeps the file, to show the difference.

``--no-sendgrid-events``: SendGrid's per-mail ``processed``/``delivered`` events are not posted. The gateway
verifies and drops them (it signals only bounce, dropped, blocked and spam reports), and a production Event
Webhook subscribes to just those (README, "Webhook URLs"), so the bench posts what production receives.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from casefac.settings import Settings
from sandbox.server import serve
from starters.stack.sandbox_config import sandbox_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sendgrid-key-file", type=Path, required=True,
                        help="the SendGrid signing key the stack provisioned (the gateway holds its public half)")
    parser.add_argument("--certfile", type=Path, required=True)
    parser.add_argument("--keyfile", type=Path, required=True)
    parser.add_argument("--no-sendgrid-events", action="store_true",
                        help="do not post SendGrid processed/delivered events to the gateway")
    args = parser.parse_args()
    settings = Settings()
    config = sandbox_config(settings).model_copy(update={
        "state_file": None,
        "sendgrid_webhook_private_key_pem": args.sendgrid_key_file.read_text(encoding="utf-8"),
        **({"sendgrid_webhook_url": None} if args.no_sendgrid_events else {}),
    })
    serve(config, certfile=args.certfile, keyfile=args.keyfile, oauth_port=settings.sandbox.oauth_port,
          log_level="warning")


if __name__ == "__main__":
    main()
