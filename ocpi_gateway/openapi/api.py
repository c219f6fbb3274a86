"""The OCPP-format profile API paths (``/api/v1``): OCPP 1.6 SetChargingProfile in, the station's answer out.

The request body schema is the ``ocpp`` package's own OCPP 1.6 SetChargingProfile schema,
so the document and the validation can never disagree on it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import ocpp

from ocpi_gateway.openapi.parts import BOOL, STR, answer, array, body, nullable, obj, op, path_param, query

PROBLEM = obj(("field", "message"), field=STR, message=STR)
ERROR = obj(("error",), error=STR, problems=array(PROBLEM))
JOB = obj(
    ("jobId", "state", "jobUrl", "stationId"),
    jobId=STR,
    state={"enum": ["pending", "done"]},
    jobUrl=STR,
    stationId=STR,
    sessionId=STR,
    status={"type": "string", "description": "the station's OCPP status: Accepted, Rejected, NotSupported"},
    statusInfo=obj(("reasonCode",), reasonCode=STR, additionalInfo=STR),
    protocol={"enum": ["ocpp1.6", "ocpp2.0.1"]},
)


@lru_cache(maxsize=1)
def set_charging_profile_schema() -> dict[str, Any]:
    """The OCPP 1.6 SetChargingProfile request schema as the ``ocpp`` package ships it."""
    path = Path(ocpp.__file__).parent / "v16" / "schemas" / "SetChargingProfile.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    return dict(schema)


def _errors(*codes: str) -> dict[str, Any]:
    text = {
        "400": "invalid JSON, body or path id: every problem is listed",
        "401": "missing or unknown OCPI token (a credentials token A too)",
        "403": "not this partner's session or station to steer",
        "404": "unknown session (or ended), or unknown job",
        "409": "the station is not reachable now, has no smart charging or cannot take the profile; "
        "or a request with the same X-Request-ID is still being answered",
        "429": "over the per-minute request limit for the session or the partner (as OCPI's TOO_OFTEN)",
        "503": "backend unavailable: nothing was stored",
    }
    return {code: answer(text[code], ERROR) for code in ("401", *codes)}


def _put(summary: str) -> dict[str, Any]:
    return op(
        summary,
        {
            "200": answer("the station answered within api.wait_seconds", JOB),
            "202": answer("still running: poll jobUrl", JOB),
            **_errors("400", "403", "404", "409", "429", "503"),
        },
        "ocpiToken",
        requestBody=body(set_charging_profile_schema()),
    )


def api_paths() -> dict[str, Any]:
    """Paths of the OCPP-format profile API."""
    validation = obj(
        ("valid", "problems", "effective"),
        valid=BOOL,
        problems=array(PROBLEM),
        effective=nullable({"type": "object", "description": "the request as it would be sent"}),
    )
    target = query(
        "target", {"enum": ["session", "station"]}, "which rules apply (default session)", required=False
    )
    return {
        "/api/v1/sessions/{session_id}/charging-profile": {
            "parameters": [path_param("session_id", "the OCPI session id", max_length=48)],
            "put": _put(
                "send an OCPP 1.6 SetChargingProfile to the session's station (TxProfile: its transaction)"
            ),
        },
        "/api/v1/stations/{station_id}/charging-profile": {
            "parameters": [path_param("station_id", "the OCPP station id", max_length=48)],
            "put": _put("send an OCPP 1.6 SetChargingProfile to a station (partners with steer = all)"),
        },
        "/api/v1/jobs/{job_id}": {
            "parameters": [path_param("job_id", "the job id from a PUT answer", max_length=48)],
            "get": op(
                "a job's outcome",
                {"200": answer("done", JOB), "202": answer("still running", JOB), **_errors("400", "404")},
                "ocpiToken",
            ),
        },
        "/api/v1/validate/charging-profile": {
            "post": op(
                "check a request and list every problem; nothing is sent",
                {"200": answer("the verdict", validation), **_errors("400", "503")},
                "ocpiToken",
                parameters=[target],
                requestBody=body({"type": "object"}),
            )
        },
        "/api/v1/examples/charging-profile": {
            "get": op(
                "a filled-in request (Axle style: W, one phase, 99999.0 = no limit)",
                {
                    "200": answer("an OCPP 1.6 SetChargingProfile request", set_charging_profile_schema()),
                    **_errors(),
                },
                "ocpiToken",
            )
        },
    }
