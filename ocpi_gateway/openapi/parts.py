"""Small builders for OpenAPI 3.1 objects and the JSON shapes several endpoints share.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so plain dicts are all it takes.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
REF = "#/components/schemas/{model}"


def ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def envelope(data: dict[str, Any] | None) -> dict[str, Any]:
    """The OCPI response envelope, with ``data`` when the answer carries some."""
    props: dict[str, Any] = {"status_code": INT, "status_message": STR, "timestamp": TIME}
    if data is not None:
        props["data"] = data
    return obj(("status_code", "timestamp"), **props)


ID_HEADERS = {
    name: {"required": True, "schema": STR, "description": f"echoed or generated {name}"}
    for name in ("X-Request-ID", "X-Correlation-ID")
}


def ocpi_response(description: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "headers": ID_HEADERS,
        "content": {JSON: {"schema": envelope(data)}},
    }


OCPI_ERRORS = {
    "400": ocpi_response("2001: invalid or missing parameters, or a body that is not JSON"),
    "401": ocpi_response("missing or unknown token (also: token A outside versions/credentials)"),
    "404": ocpi_response("no such resource"),
    "413": ocpi_response("request body larger than http.max_body_bytes"),
    "503": ocpi_response("3000: backend unavailable, nothing was stored"),
}

ERROR = {"content": {JSON: {"schema": obj(("error",), error=STR)}}}


def admin_errors(*codes: str) -> dict[str, Any]:
    text = {
        "400": "invalid parameter or body",
        "401": "missing or wrong admin token",
        "404": "unknown resource",
        "409": "conflict (partner already registered)",
        "502": "the partner's OCPI API failed the handshake",
    }
    return {code: {"description": text[code], **ERROR} for code in ("401", *codes)}


def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def op(summary: str, responses: dict[str, Any], security: str | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses, **extra}
    if security is not None:
        op["security"] = [{security: []}]
    return op


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def path_param(name: str, description: str, max_length: int = 36) -> dict[str, Any]:
    """A path parameter of 1 to ``max_length`` printable ASCII characters (OCPI CiString)."""
    schema = {"type": "string", "pattern": f"^[ -~]{{1,{max_length}}}$"}
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def query(name: str, schema: dict[str, Any], description: str, *, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


RESPONSE_URL = query(
    "response_url",
    {"type": "string", "format": "uri", "maxLength": 255},
    "where the result is POSTed",
    required=True,
)
DURATION = query(
    "duration",
    {"type": "integer", "minimum": 1, "maximum": 86400},
    "seconds of schedule asked for",
    required=True,
)

SESSION = obj(
    ("session_id", "station_id", "connector_id", "evse_id", "transaction_id", "ocpp_version", "status"),
    session_id=STR,
    station_id=STR,
    connector_id=INT,
    evse_id=INT,
    transaction_id=STR,
    ocpp_version={"enum": ["ocpp1.6", "ocpp2.0.1"]},
    status={"enum": ["ACTIVE", "COMPLETED"]},
    started_at=TIME,
    ended_at=nullable(TIME),
    owner=nullable(STR),
    source=STR,
)
STATION = obj(
    ("station_id", "protocol", "node", "connected_at", "capabilities"),
    station_id=STR,
    protocol={"enum": ["ocpp1.6", "ocpp2.0.1"]},
    node=STR,
    connected_at=TIME,
    capabilities={"type": "object"},
    vendor=nullable(STR),
    model=nullable(STR),
)
PARTY = obj(
    ("key", "country_code", "party_id", "role", "status", "endpoints_known"),
    key=STR,
    country_code=STR,
    party_id=STR,
    role=STR,
    status=STR,
    endpoints_known={"type": "boolean"},
    endpoints_read_at=nullable(TIME),
    endpoints_error=nullable(STR),
)
SERIES = nullable(
    obj(
        ("unit", "points", "end"),
        unit=STR,
        points={"type": "array", "items": obj(("t", "limit"), t=TIME, limit={"type": "number"})},
        end=nullable(TIME),
    )
)
JOB = obj(
    ("job_id", "kind", "session_id", "station_id", "result", "finished"),
    job_id=STR,
    kind=STR,
    session_id=STR,
    station_id=STR,
    party=nullable(STR),
    request_id=STR,
    correlation_id=STR,
    created=TIME,
    finished=TIME,
    seconds={"type": "number"},
    result=STR,
    delivered=nullable(BOOL),
)


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}
