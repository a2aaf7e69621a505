"""Test plumbing for the codec service: a local IdP (RSA and EC key pairs, a JWKS file) and payload helpers.

No internet: tokens are signed here and verified against the JWKS file, as the service would verify the
Temporal UI's "pass access token" against the IdP's.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from temporalio.api.common.v1 import Payload

ISSUER = "https://idp.jim.example/realms/casefac"
AUDIENCE = "casefac-codec"
UI_ORIGIN = "http://127.0.0.1:8233"


@dataclass
class LocalIdP:
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    jwks_file: Path

    @classmethod
    def create(cls, directory: Path) -> LocalIdP:
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        rsa_jwk = {**json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "rsa-1", "alg": "RS256",
                   "use": "sig"}
        ec_jwk = {**json.loads(ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "ec-1", "alg": "ES256",
                  "use": "sig"}
        path = directory / "jwks.json"
        path.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}), encoding="utf-8")
        return cls(rsa_key=rsa_key, ec_key=ec_key, jwks_file=path)

    def token(self, *, sub: str = "ana@jim.example", groups: list[str] | None = None, kind: str = "rsa",
              issuer: str = ISSUER, audience: str = AUDIENCE, expires_in: int = 300, **extra: Any) -> str:
        now = int(time.time())
        claims = {"sub": sub, "iss": issuer, "aud": audience, "iat": now, "exp": now + expires_in,
                  "jti": uuid.uuid4().hex, "groups": groups if groups is not None else ["casefac-coordinator"],
                  **extra}
        if kind == "rsa":
            return jwt.encode(claims, self.rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
        return jwt.encode(claims, self.ec_key, algorithm="ES256", headers={"kid": "ec-1"})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def to_json(payloads: list[Payload]) -> dict[str, Any]:
    """The codec-server protocol's body for ``payloads``."""
    return {"payloads": [{"metadata": {k: b64(v) for k, v in p.metadata.items()}, "data": b64(p.data)}
                         for p in payloads]}


def from_json(body: dict[str, Any]) -> list[Payload]:
    return [Payload(metadata={k: base64.b64decode(v) for k, v in p.get("metadata", {}).items()},
                    data=base64.b64decode(p.get("data", ""))) for p in body["payloads"]]
