"""Small HTTP helpers shared by the routers: bounded body reads and uniform JSON answers.

Not named `http` so running a file from this directory can never shadow the standard library module.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse

#: Webhook deliveries are small JSON documents; anything bigger is not a provider talking to us. Each
#: provider's router passes its own, smaller limit (review m3); this is the ceiling.
MAX_WEBHOOK_BODY = 1024 * 1024


class BodyTooLarge(Exception):
    """The request body exceeds the route's limit."""


class FormInvalid(Exception):
    """The form cannot be read: wrong content type, too many fields or files, or a file too large."""


@dataclass(frozen=True)
class FormLimits:
    """What one form may hold (review M1). Files only where a page takes uploads (``max_files > 0``)."""

    max_bytes: int = 256 * 1024
    max_fields: int = 2000
    max_part_size: int = 64 * 1024
    max_files: int = 0
    max_file_size: int = 0


def is_json(request: Request) -> bool:
    """The provider said JSON (``application/json``, any parameters): checked before hashing a body."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


async def read_form(request: Request, limits: FormLimits) -> FormData:
    """The form, parsed from a body read under ``limits.max_bytes`` (streamed bytes are counted, so a
    chunked body without Content-Length is bounded too). Urlencoded forms are parsed from that buffer with
    a field cap; multipart forms through Starlette's parser with files, fields and parts capped.

    Raises :class:`BodyTooLarge` or :class:`FormInvalid`.
    """
    body = await read_body(request, limits.max_bytes)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded" or (kind == "" and not body):
        try:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                           max_num_fields=limits.max_fields)
        except ValueError as exc:
            raise FormInvalid("too many fields") from exc
        return FormData(pairs)
    if kind != "multipart/form-data":
        raise FormInvalid(f"unsupported form type {kind or 'none'}")

    async def replay() -> AsyncIterator[bytes]:
        yield body

    try:
        form = await MultiPartParser(request.headers, replay(), max_files=limits.max_files,
                                     max_fields=limits.max_fields, max_part_size=limits.max_part_size).parse()
    except MultiPartException as exc:
        raise FormInvalid(exc.message) from exc
    for _, value in form.multi_items():
        if isinstance(value, UploadFile) and (value.size or 0) > limits.max_file_size:
            await form.close()
            raise BodyTooLarge
    return form


async def read_body(request: Request, limit: int = MAX_WEBHOOK_BODY) -> bytes:
    """The raw body (signatures are over exact bytes), refusing bodies over ``limit`` without buffering them."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def answer(status_code: int, status: str, *, headers: dict[str, str] | None = None,
           **fields: Any) -> JSONResponse:
    """``{"status": ..., ...}``: providers only read the code; people debugging read the word."""
    return JSONResponse({"status": status, **fields}, status_code=status_code, headers=headers)


def too_large() -> JSONResponse:
    return answer(413, "too_large")


def parse_json(body: bytes) -> Any:
    """``json.loads`` that reports every failure as ``ValueError`` (bad UTF-8, or nesting deep enough to
    exhaust the parser). Escaped lone surrogates (``"\\ud800"``) decode to text that can never be encoded
    again; they are replaced, so one odd field cannot turn a whole delivery into a 500 retried forever."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError("body is not valid JSON text") from exc
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        value = _scrub(value)
    except RecursionError as exc:
        raise ValueError("body is nested too deeply") from exc
    return value


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value
