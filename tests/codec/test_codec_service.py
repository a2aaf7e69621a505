"""C1, m5, m9: the codec service authenticates people, audits every decode, answers only the UI's origin.

Each test is an attack on the old design (a token in the URL, on the public gateway, for anyone holding
it) or on the new one (forged, expired, foreign or role-less tokens; another origin; DNS rebinding;
another namespace; a flood; ``/encode`` as an oracle).
"""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import WorkflowSerializationContext

from casefac.codec import EncryptionCodec
from casefac.keyring import KeyRing
from casefac.settings import CodecSettings, GatewaySettings, Settings
from codec_service.app import RateLimit, create_app
from codec_service.server import CodecConfigError, build_server
from tests.codec.codec_kit import AUDIENCE, ISSUER, UI_ORIGIN, LocalIdP, from_json, to_json

NS = {"X-Namespace": "default"}
CLIENT_NAME = "Rosa Ixchel Coc"


def _plain(obj: object) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(obj).encode())


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate("svc-key")


@pytest.fixture
def idp(tmp_path: Path) -> LocalIdP:
    return LocalIdP.create(tmp_path)


def _settings(tmp_path: Path, ring: KeyRing, **codec: Any) -> Settings:
    ring_file = tmp_path / "keyring.json"
    ring.save(ring_file)
    return Settings(_env_file=None, data_dir=tmp_path, keyring_file=ring_file,  # type: ignore[call-arg]
                    codec=CodecSettings(ui_origin=UI_ORIGIN, **codec))


Factory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def service(tmp_path: Path, ring: KeyRing, idp: LocalIdP) -> AsyncIterator[Factory]:
    opened: list[httpx.AsyncClient] = []

    async def make(*, oidc: bool = True, base_url: str = "http://127.0.0.1:8402", **kwargs: Any) -> httpx.AsyncClient:
        codec = {"auth": "oidc", "oidc_issuer": ISSUER, "oidc_audience": AUDIENCE,
                 "jwks": str(idp.jwks_file)} if oidc else {"auth": "loopback"}
        settings = _settings(tmp_path, ring, **(codec | kwargs.pop("codec", {})))
        app = create_app(settings, codec=EncryptionCodec(ring), **kwargs)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


async def _sealed(ring: KeyRing, workflow_id: str, *objs: object) -> dict[str, Any]:
    codec = EncryptionCodec(ring).with_context(WorkflowSerializationContext("default", workflow_id))
    return to_json(await codec.encode([_plain(o) for o in objs]))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} | NS


# -- C1: not on the gateway, no secret in a URL --------------------------------------------------------------
async def test_the_public_gateway_serves_no_codec(tmp_path: Path) -> None:
    from gateway.app import create_app as gateway_app

    async def unreachable() -> Client:
        raise RuntimeError("not needed")

    settings = Settings(_env_file=None, data_dir=tmp_path,  # type: ignore[call-arg]
                        gateway=GatewaySettings())
    app = gateway_app(settings, unreachable)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as http:
        for path in ("/codec/decode", "/codec/dev-only-codec-token/decode", "/codec/encode"):
            response = await http.post(path, json={"payloads": []}, headers={"Authorization": "Bearer x"})
            assert response.status_code in (404, 405), path


async def test_no_token_in_the_path(service: Factory, idp: LocalIdP) -> None:
    http = await service()
    response = await http.post("/some-token/decode", json={"payloads": []}, headers=_bearer(idp.token()))
    assert response.status_code == 404


# -- C1: people, verified ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rsa", "ec"])
async def test_a_coordinator_decodes_everything(service: Factory, idp: LocalIdP, ring: KeyRing, kind: str) -> None:
    http = await service()
    body = await _sealed(ring, "case-JIM-2026-0001", {"client": {"full_name": CLIENT_NAME}})
    response = await http.post("/decode", json=body, headers=_bearer(idp.token(kind=kind)))
    assert response.status_code == 200, response.text
    assert json.loads(from_json(response.json())[0].data) == {"client": {"full_name": CLIENT_NAME}}


def _forged_tokens(idp: LocalIdP) -> dict[str, str]:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": 4102444800,
              "groups": ["casefac-coordinator"]}
    public_pem = idp.rsa_key.public_key().public_bytes(encoding=serialization.Encoding.PEM,
                                                       format=serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "none": "",
        "not_bearer": "Basic " + idp.token(),
        "garbage": "Bearer not-a-jwt",
        "wrong_signer": "Bearer " + jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "rsa-1"}),
        "unknown_kid": "Bearer " + jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "nope"}),
        "alg_none": "Bearer " + jwt.encode(claims, None, algorithm="none", headers={"kid": "rsa-1"}),
        "hs256_with_public_key": "Bearer " + _hs256(claims, public_pem),
        "expired": "Bearer " + idp.token(expires_in=-120),
        "other_issuer": "Bearer " + idp.token(issuer="https://evil.example"),
        "other_audience": "Bearer " + idp.token(audience="temporal-ui"),
        "no_exp": "Bearer " + jwt.encode({k: v for k, v in claims.items() if k != "exp"}, idp.rsa_key,
                                         algorithm="RS256", headers={"kid": "rsa-1"}),
    }


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    """A token MACed with the RSA public key as HMAC secret (the classic algorithm-confusion attack)."""
    import base64
    import hashlib
    import hmac

    def enc(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = enc(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{enc(sig)}"


@pytest.mark.parametrize("case", ["none", "not_bearer", "garbage", "wrong_signer", "unknown_kid", "alg_none",
                                  "hs256_with_public_key", "expired", "other_issuer", "other_audience", "no_exp"])
async def test_forged_or_foreign_tokens_are_401(service: Factory, idp: LocalIdP, ring: KeyRing, case: str) -> None:
    http = await service()
    body = await _sealed(ring, "case-JIM-2026-0001", {"client": {"full_name": CLIENT_NAME}})
    header = _forged_tokens(idp)[case]
    response = await http.post("/decode", json=body, headers=NS | ({"Authorization": header} if header else {}))
    assert response.status_code == 401, response.text
    assert CLIENT_NAME not in response.text and "payloads" not in response.text


async def test_a_valid_person_without_a_casefac_role_is_403(service: Factory, idp: LocalIdP, ring: KeyRing) -> None:
    http = await service()
    body = await _sealed(ring, "case-JIM-2026-0001", "x")
    response = await http.post("/decode", json=body, headers=_bearer(idp.token(groups=["everyone"])))
    assert response.status_code == 403


async def test_the_role_claim_is_configurable(service: Factory, idp: LocalIdP, ring: KeyRing) -> None:
    http = await service(codec={"role_claim": "realm_access.roles"})
    token = idp.token(groups=[], realm_access={"roles": ["casefac-coordinator"]})
    response = await http.post("/decode", json=await _sealed(ring, "w", "x"), headers=_bearer(token))
    assert response.status_code == 200


# -- audit ----------------------------------------------------------------------------------------------------
async def test_every_decode_is_audited_without_content(service: Factory, idp: LocalIdP, ring: KeyRing,
                                                       tmp_path: Path) -> None:
    http = await service()
    body = await _sealed(ring, "case-JIM-2026-0042", {"client": {"full_name": CLIENT_NAME}}, 15500)
    assert (await http.post("/decode", json=body, headers=_bearer(idp.token(sub="ana@jim.example")))).status_code == 200
    assert (await http.post("/decode", json=body, headers=NS)).status_code == 401
    audit = tmp_path / "codec-audit.jsonl"
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    ok = lines[0]
    assert ok["sub"] == "ana@jim.example" and ok["tier"] == "coordinator" and ok["op"] == "decode"
    assert ok["workflows"] == ["case-JIM-2026-0042"] and ok["payloads"] == 2 and ok["outcome"] == "ok"
    assert ok["at"] and ok["namespace"] == "default"
    assert ok["role"] == "casefac-coordinator"
    assert lines[1]["outcome"].startswith("refused 401")
    assert CLIENT_NAME not in audit.read_text()


# -- m5 / m9: origin, host, namespace, rate, encode -----------------------------------------------------------
async def test_cors_for_the_ui_origin_only_and_never_with_credentials(service: Factory, idp: LocalIdP) -> None:
    http = await service()
    granted = await http.options("/decode", headers={"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "authorization,x-namespace"})
    assert granted.status_code == 200 and granted.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "access-control-allow-credentials" not in granted.headers
    foreign = await http.options("/decode", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in foreign.headers


async def test_a_request_from_another_origin_is_refused(service: Factory, idp: LocalIdP, ring: KeyRing) -> None:
    http = await service()
    response = await http.post("/decode", json=await _sealed(ring, "w", "x"),
                               headers=_bearer(idp.token()) | {"Origin": "https://evil.example"})
    assert response.status_code == 403


async def test_another_namespace_is_refused(service: Factory, idp: LocalIdP, ring: KeyRing) -> None:
    http = await service()
    body = await _sealed(ring, "w", "x")
    token = idp.token()
    assert (await http.post("/decode", json=body, headers=_bearer(token) | {"X-Namespace": "other"})).status_code == 403
    assert (await http.post("/decode", json=body, headers={"Authorization": f"Bearer {token}"})).status_code == 403


async def test_a_flood_is_rate_limited(service: Factory, idp: LocalIdP, ring: KeyRing) -> None:
    http = await service(rate_limit=RateLimit(5))
    statuses = [(await http.post("/decode", json={"payloads": []}, headers=NS)).status_code for _ in range(8)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3


async def test_encode_is_not_served_unless_enabled_and_then_coordinators_only(service: Factory, idp: LocalIdP) -> None:
    http = await service()
    assert (await http.post("/encode", json=to_json([_plain("x")]), headers=_bearer(idp.token()))).status_code == 404
    enabled = await service(codec={"encode_enabled": True})
    finance = _bearer(idp.token(groups=["casefac-finance"]))
    assert (await enabled.post("/encode", json=to_json([_plain("x")]), headers=finance)).status_code == 403
    ok = await enabled.post("/encode", json=to_json([_plain("x")]),
                            headers=_bearer(idp.token()) | {"X-Casefac-Workflow-Id": "case-JIM-2026-0001"})
    assert ok.status_code == 200
    [sealed] = from_json(ok.json())
    assert EncryptionCodec.bound_workflow(sealed) == "case-JIM-2026-0001"


# -- the local stack: no login, loopback, the UI's origin only -------------------------------------------------
async def test_loopback_codec_answers_the_ui_origin_without_login(service: Factory, ring: KeyRing) -> None:
    http = await service(oidc=False)
    body = await _sealed(ring, "case-JIM-2026-0001", "x")
    ok = await http.post("/decode", json=body, headers={"Origin": UI_ORIGIN} | NS)
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == UI_ORIGIN
    assert (await http.post("/decode", json=body, headers=NS)).status_code == 403  # no Origin: not the UI
    assert (await http.post("/decode", json=body, headers={"Origin": "http://127.0.0.1:9999"})).status_code == 403


async def test_loopback_codec_refuses_a_rebound_host(service: Factory, ring: KeyRing) -> None:
    http = await service(oidc=False, base_url="http://evil.example:8402")
    response = await http.post("/decode", json=await _sealed(ring, "w", "x"), headers={"Origin": UI_ORIGIN})
    assert response.status_code == 400


def test_loopback_auth_refuses_a_public_interface(tmp_path: Path, ring: KeyRing) -> None:
    settings = _settings(tmp_path, ring, auth="loopback", host="0.0.0.0")
    with pytest.raises(CodecConfigError, match="not loopback"):
        build_server(settings)


def test_the_old_codec_token_setting_is_gone() -> None:
    assert "codec_token" not in GatewaySettings.model_fields
    assert SecretStr  # the gateway keeps no codec secret at all


def test_a_jwks_url_must_be_https(tmp_path: Path) -> None:
    from codec_service.auth import OidcAuthenticator

    with pytest.raises(ValueError, match="https"):
        OidcAuthenticator(CodecSettings(auth="oidc", oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                                        jwks="http://idp.example/certs"))
    with pytest.raises(ValueError, match="OIDC_ISSUER"):
        OidcAuthenticator(CodecSettings(auth="oidc"))
