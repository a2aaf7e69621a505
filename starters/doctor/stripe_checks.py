"""Stripe: the key's mode matches casefac's, Connect is on, the balance can pay out in each payout currency,
and the webhook endpoint is registered for the events the gateway handles."""

from __future__ import annotations

from typing import Any

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA = "Stripe"


def key_mode(key: str) -> str | None:
    for prefix, mode in (("sk_live_", "live"), ("rk_live_", "live"), ("sk_test_", "test"), ("rk_test_", "test")):
        if key.startswith(prefix):
            return mode
    return None


def check_stripe(settings: Settings) -> list[Check]:
    import stripe

    key = settings.stripe.api_key.get_secret_value()
    mode, wanted = key_mode(key), ("live" if settings.mode == "live" else "test")
    if mode != wanted:
        return [failed(AREA, "key mode", f"a {mode or 'unrecognised'} key while CASEFAC_MODE={settings.mode}",
                       f"set CASEFAC_STRIPE__API_KEY to a {wanted}-mode secret or restricted key "
                       f"({'sk_live_/rk_live_' if wanted == 'live' else 'sk_test_/rk_test_'}…)")]
    checks = [passed(AREA, "key mode", f"{mode}-mode key")]
    client = stripe.StripeClient(key, base_addresses={"api": settings.stripe.api_base}, max_network_retries=0)
    try:
        client.v1.accounts.list({"limit": 1})
    except stripe.APIConnectionError:
        return [*checks, failed(AREA, "reachable", f"{settings.stripe.api_base} unreachable",
                                "check CASEFAC_STRIPE__API_BASE and the network")]
    except stripe.AuthenticationError:
        return [*checks, failed(AREA, "Connect", "the key is refused", "set a valid CASEFAC_STRIPE__API_KEY")]
    except stripe.StripeError as exc:
        checks.append(failed(AREA, "Connect", f"not enabled ({exc.code or exc.http_status})",
                             "sign the platform up for Connect (Stripe Dashboard → Connect), then onboard the "
                             "Defenders' accounts"))
    else:
        checks.append(passed(AREA, "Connect", "enabled"))
    checks += _balance(client, settings)
    checks.append(_webhooks(client, settings))
    return checks


def payout_currencies(settings: Settings) -> list[str]:
    """Currencies of the roster's Defenders paid by Stripe Connect (what transfers are made in)."""
    from casefac.parties import StripeConnectPayout
    from casefac.roster import parse_roster

    roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
    return sorted({d.hourly_rate.currency for d in roster.defenders if isinstance(d.payout, StripeConnectPayout)})


def _balance(client: Any, settings: Settings) -> list[Check]:
    import stripe

    from casefac.money import Money

    try:
        balance = client.v1.balance.retrieve()
    except stripe.StripeError as exc:
        return [failed(AREA, "balance", f"cannot read it ({exc.code or exc.http_status})",
                       "give the key read access to Balance")]
    available = {str(b.currency).upper(): int(b.amount) for b in balance.available}
    checks = []
    for currency in payout_currencies(settings):
        amount = Money(amount=available.get(currency, 0), currency=currency)
        if amount.amount <= 0:
            checks.append(failed(AREA, f"balance {currency}", f"available {amount.format()}",
                                 f"payouts are paid from the pre-funded balance: top up the Stripe balance in "
                                 f"{currency} (Dashboard → Balances → Add to balance) by at least the next "
                                 "payouts"))
        else:
            checks.append(passed(AREA, f"balance {currency}", f"available {amount.format()}"))
    return checks or [passed(AREA, "balance", "no Defender is paid by Stripe Connect")]


def _webhooks(client: Any, settings: Settings) -> Check:
    import stripe

    from gateway.webhooks_stripe import EVENT_KINDS

    url = f"{settings.gateway.public_url.rstrip('/')}/webhooks/stripe"
    try:
        endpoints = client.v1.webhook_endpoints.list({"limit": 100})
    except stripe.StripeError as exc:
        return failed(AREA, "webhook endpoint", f"cannot list them ({exc.code or exc.http_status})",
                      "give the key read access to Webhook Endpoints")
    needed = set(EVENT_KINDS)
    for endpoint in endpoints.data:
        if endpoint.url == url and endpoint.status == "enabled":
            events = set(endpoint.enabled_events or [])
            missing = sorted(needed - events) if "*" not in events else []
            if missing:
                return failed(AREA, "webhook endpoint", f"{url} lacks " + ", ".join(missing),
                              "add those events to the endpoint (Dashboard → Developers → Webhooks)")
            return passed(AREA, "webhook endpoint", f"{url} ({', '.join(sorted(needed))})")
    return failed(AREA, "webhook endpoint", f"none enabled for {url}",
                  f"add an endpoint for {url} with {', '.join(sorted(needed))} (Dashboard → Developers → "
                  "Webhooks) and put its signing secret in CASEFAC_STRIPE__WEBHOOK_SECRET")
