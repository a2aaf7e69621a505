"""Codec endpoint for the Temporal UI: bearer token, codec-server protocol round trip, CORS for the UI only."""

from __future__ import annotations

import base64

import httpx
import pytest
from temporalio.client import Client

from casefac.codec import EncryptionCodec
from casefac.keyring import KeyRing
from tests.gateway.gateway_kit import CODEC_TOKEN, UI_ORIGIN, GatewayFactory

AUTH = {"Authorization": f"Bearer {CODEC_TOKEN}", "X-Namespace": "default"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PLAIN = {"payloads": [
    {"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(b'{"name": "Ana L\xc3\xb3pez"}')},
    {"metadata": {"encoding": _b64(b"binary/null")}},
]}


async def _unreachable() -> Client:
    raise RuntimeError("the codec endpoint never needs Temporal")


@pytest.fixture
async def codec_http(gateway_for: GatewayFactory) -> httpx.AsyncClient:
    return await gateway_for(_unreachable)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": CODEC_TOKEN},
                                     {"Authorization": f"Basic {CODEC_TOKEN}"}],
                         ids=["none", "wrong", "no_scheme", "basic"])
@pytest.mark.parametrize("operation", ["encode", "decode"])
async def test_without_the_token_is_401(codec_http: httpx.AsyncClient, headers: dict[str, str],
                                        operation: str) -> None:
    response = await codec_http.post(f"/codec/{operation}", json=PLAIN, headers=headers)
    assert response.status_code == 401
    assert "payloads" not in response.text


async def test_encode_then_decode_round_trips(codec_http: httpx.AsyncClient) -> None:
    encoded = await codec_http.post("/codec/encode", json=PLAIN, headers=AUTH)
    assert encoded.status_code == 200, encoded.text
    body = encoded.json()
    assert len(body["payloads"]) == 2
    for payload in body["payloads"]:
        assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"
        assert base64.b64decode(payload["metadata"]["encryption-key-id"]) == b"test-key"
        assert b"L\xc3\xb3pez" not in base64.b64decode(payload["data"])
    decoded = await codec_http.post("/codec/decode", json=body, headers=AUTH)
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == PLAIN


async def test_decode_passes_plain_payloads_through(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.post("/codec/decode", json=PLAIN, headers=AUTH)
    assert response.json() == PLAIN


async def test_decode_with_unknown_key_names_it(codec_http: httpx.AsyncClient) -> None:
    from temporalio.api.common.v1 import Payload

    foreign = EncryptionCodec(KeyRing.generate("retired-2024"))
    [sealed] = await foreign.encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1")])
    body = {"payloads": [{"metadata": {k: _b64(v) for k, v in sealed.metadata.items()}, "data": _b64(sealed.data)}]}
    response = await codec_http.post("/codec/decode", json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["key_id"] == "retired-2024"


async def test_malformed_body_is_400(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.post("/codec/decode", content=b"{not json", headers=AUTH)
    assert response.status_code == 400


async def test_cors_preflight_from_the_ui_origin_is_granted(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.options("/codec/decode", headers={
        "Origin": UI_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    })
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-namespace"} <= {h.strip() for h in allowed.split(",")}


async def test_cors_preflight_from_a_foreign_origin_is_not_granted(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.options("/codec/decode", headers={
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    })
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code >= 400


async def test_cors_headers_on_answers_only_for_the_ui_origin(codec_http: httpx.AsyncClient) -> None:
    ok = await codec_http.post("/codec/decode", json=PLAIN, headers=AUTH | {"Origin": UI_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == UI_ORIGIN
    denied = await codec_http.post("/codec/decode", json=PLAIN, headers={"Origin": UI_ORIGIN})
    assert denied.status_code == 401  # visible to the UI, so it can say "wrong token"
    assert denied.headers["access-control-allow-origin"] == UI_ORIGIN
    foreign = await codec_http.post("/codec/decode", json=PLAIN, headers=AUTH | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


async def test_cors_does_not_extend_to_webhooks(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.options("/webhooks/stripe", headers={
        "Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers


# -- the token as a path segment: how the Temporal Web UI reaches the codec (it cannot send our bearer) ----
@pytest.mark.parametrize("operation", ["encode", "decode"])
@pytest.mark.parametrize("token", ["wrong", f"{CODEC_TOKEN}x", CODEC_TOKEN[:-1], "%20"],
                         ids=["wrong", "longer", "prefix", "blank"])
async def test_path_token_must_match(codec_http: httpx.AsyncClient, operation: str, token: str) -> None:
    response = await codec_http.post(f"/codec/{token}/{operation}", json=PLAIN)
    assert response.status_code == 401
    assert "payloads" not in response.text


async def test_path_token_round_trips_without_a_header(codec_http: httpx.AsyncClient) -> None:
    encoded = await codec_http.post(f"/codec/{CODEC_TOKEN}/encode", json=PLAIN, headers={"X-Namespace": "default"})
    assert encoded.status_code == 200, encoded.text
    decoded = await codec_http.post(f"/codec/{CODEC_TOKEN}/decode", json=encoded.json())
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == PLAIN


async def test_path_token_ignores_the_uis_own_bearer(codec_http: httpx.AsyncClient) -> None:
    """With "pass access token" on, the UI sends its own login token: the path token still decides."""
    response = await codec_http.post(f"/codec/{CODEC_TOKEN}/decode", json=PLAIN,
                                     headers={"Authorization": "Bearer ui-session-token"})
    assert response.status_code == 200


async def test_path_form_gets_cors_for_the_ui_origin_only(codec_http: httpx.AsyncClient) -> None:
    preflight = await codec_http.options(f"/codec/{CODEC_TOKEN}/decode", headers={
        "Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    foreign = await codec_http.post(f"/codec/{CODEC_TOKEN}/decode", json=PLAIN,
                                    headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


async def test_bearer_is_not_accepted_in_place_of_the_path_token(codec_http: httpx.AsyncClient) -> None:
    response = await codec_http.post("/codec/wrong/decode", json=PLAIN, headers=AUTH)
    assert response.status_code == 401
