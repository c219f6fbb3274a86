"""Run translate output through the ``ocpp`` package exactly as ``ChargePoint.call`` does.

Requests: dataclass -> snake_to_camel -> ``Call`` -> the package's schema validation ->
the JSON frame's payload. Responses: a camelCase payload -> ``CallResult`` validation ->
camel_to_snake -> the ``call_result`` dataclass, so 1.6 composites carry ``Decimal``
limits and nested dicts just as a live station's answer would.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ocpp.charge_point import camel_to_snake_case
from ocpp.messages import Call, CallResult, validate_payload
from ocpp.v16 import call_result as result16
from ocpp.v201 import call_result as result201

from ocpi_gateway.domain import OcppVersion
from ocpi_gateway.translate.wire import action_of, to_wire

PACKAGE_VERSION = {OcppVersion.V16: "1.6", OcppVersion.V201: "2.0.1"}
RESULTS = {OcppVersion.V16: result16, OcppVersion.V201: result201}


def request_wire(version: OcppVersion, payload: Any) -> dict[str, Any]:
    """The JSON payload the package would send; raises the package's error if its schema fails."""
    message = Call(unique_id="1", action=action_of(payload), payload=to_wire(payload))
    asyncio.run(validate_payload(message, PACKAGE_VERSION[version]))
    frame = json.loads(message.to_json())
    assert frame[2] == type(payload).__name__
    body: dict[str, Any] = frame[3]
    return body


def response_from_wire(version: OcppVersion, action: str, payload: dict[str, Any]) -> Any:
    """The ``call_result`` dataclass the package returns from ``call()`` for this station answer."""
    message = CallResult(unique_id="1", payload=payload, action=action)
    asyncio.run(validate_payload(message, PACKAGE_VERSION[version]))
    return getattr(RESULTS[version], action)(**camel_to_snake_case(message.payload))
