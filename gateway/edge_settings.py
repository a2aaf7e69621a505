"""The public gateway's view of the settings (review M7): what its pages and webhooks need, nothing more.

The gateway verifies webhooks (DocuSign Connect HMAC keys, the Stripe webhook secret, SendGrid's public
key), signs portal links, and talks to Temporal. It never calls a provider's API: recipient views run on
the worker (``workflows/signing_view.py``). So in live mode it starts without the DocuSign private key, the
Stripe secret key or the SendGrid API key, and if the environment holds them anyway they are dropped here,
so a compromise of the internet-facing process does not hand them over.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, model_validator

from casefac.settings import Settings

#: What replaces a provider API key in the gateway's settings: never a working credential.
NO_KEY = SecretStr("")


class EdgeSettings(Settings):
    """``Settings`` for the gateway process: provider API keys neither required nor kept."""

    needs_provider_keys: ClassVar[bool] = False

    @model_validator(mode="after")
    def _drop_provider_keys(self) -> EdgeSettings:
        strip(self)
        return self


def strip(settings: Settings) -> Settings:
    """Remove the provider API credentials from ``settings`` in place (the gateway never uses them)."""
    settings.docusign.private_key_file = None
    settings.docusign.static_token = None
    settings.stripe.api_key = NO_KEY
    settings.sendgrid.api_key = NO_KEY
    return settings


def edge_view(settings: Settings) -> Settings:
    """A copy of ``settings`` without provider API credentials, for an app built from full settings."""
    copy = settings.model_copy(update={
        "docusign": settings.docusign.model_copy(),
        "stripe": settings.stripe.model_copy(),
        "sendgrid": settings.sendgrid.model_copy(),
    })
    return strip(copy)
