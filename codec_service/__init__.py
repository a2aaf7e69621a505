"""The codec service: the Temporal codec-server protocol on its own listener (review C1).

Never mounted on the public gateway. Loopback by default; in live mode it authenticates people (the
UI's OIDC access token), audits every decode, and gives finance a redacted view (review m11).
"""
