"""The one data converter every client and worker uses: pydantic JSON, wrapped by the encryption codec.

Built here and only here, so the codec slots in without touching callers.
"""

from __future__ import annotations

import dataclasses

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """``pydantic_data_converter`` with ``codec`` (the AES-GCM codec everywhere but pure unit tests).

    Failure messages and stack traces are moved into encoded attributes, so the codec encrypts them too:
    a provider's error text or a validator's message may quote what a person typed.
    """
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec,
                               failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
