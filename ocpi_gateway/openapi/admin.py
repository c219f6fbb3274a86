"""The admin API paths, the status page and its JSON endpoints."""

from __future__ import annotations

from typing import Any

from ocpi_gateway.openapi.parts import (
    BOOL,
    JOB,
    PARTY,
    SERIES,
    SESSION,
    STATION,
    STR,
    TIME,
    admin_errors,
    answer,
    array,
    body,
    nullable,
    obj,
    op,
    path_param,
    query,
    ref,
)


def admin_paths() -> dict[str, Any]:
    session_id = path_param("session_id", "the OCPI session id")
    key = path_param("key", "the partner as CC*PID", max_length=16)
    station_id = path_param("station_id", "the OCPP station id", max_length=48)
    queued = obj(("job_id",), job_id=STR, station_id=STR, session_id=STR, limit={"type": "number"}, unit=STR)
    overview = obj(
        ("generated_at", "stations", "sessions", "jobs"),
        generated_at=TIME,
        stations=array({"type": "object"}),
        sessions=array(SESSION),
        jobs=array(JOB),
    )
    chart = obj(
        ("session", "unit", "start", "end", "requested", "composite", "composite_source", "jobs"),
        session=SESSION,
        unit=nullable(STR),
        start=nullable(TIME),
        end=nullable(TIME),
        requested=SERIES,
        composite=SERIES,
        composite_source=nullable({"enum": ["live", "get_job"]}),
        composite_learned_at=nullable(TIME),
        jobs=array(JOB),
    )
    asset = {
        "description": "static asset",
        "content": {"text/javascript": {"schema": STR}, "text/css": {"schema": STR}},
    }
    return {
        "/admin/sessions": {
            "get": op(
                "known sessions",
                {"200": answer("sessions", array(SESSION)), **admin_errors()},
                "adminToken",
                parameters=[query("station_id", STR, "only this station's", required=False)],
            )
        },
        "/admin/sessions/{session_id}": {
            "parameters": [session_id],
            "put": op(
                "register a session an external CSMS runs",
                {"201": answer("registered", SESSION), **admin_errors("400")},
                "adminToken",
                requestBody=body(ref("ExternalSession")),
            ),
            "delete": op(
                "end a session", {"200": answer("ended", SESSION), **admin_errors("400", "404")}, "adminToken"
            ),
        },
        "/admin/stations/{station_id}/limit": {
            "parameters": [station_id],
            "put": op(
                "set the station-wide maximum (ChargePointMaxProfile / ChargingStationMaxProfile)",
                {"202": answer("job stored", queued), **admin_errors("400", "404")},
                "adminToken",
                requestBody=body(ref("StationLimitBody")),
            ),
            "delete": op(
                "clear the gateway's station-wide maximum",
                {"202": answer("job stored", queued), **admin_errors("400", "404")},
                "adminToken",
            ),
        },
        "/admin/sessions/{session_id}/profile": {
            "parameters": [session_id],
            "delete": op(
                "the CPO clears the session's gateway profile (its steering partners are told)",
                {"202": answer("job stored", queued), **admin_errors("400", "404")},
                "adminToken",
            ),
        },
        "/admin/stations": {
            "get": op(
                "stations connected to this node",
                {"200": answer("stations", array(STATION)), **admin_errors()},
                "adminToken",
            )
        },
        "/admin/parties": {
            "get": op(
                "OCPI partners (never their tokens)",
                {"200": answer("partners", array(PARTY)), **admin_errors()},
                "adminToken",
            )
        },
        "/admin/parties/invite": {
            "post": op(
                "issue a token A for a new partner",
                {
                    "201": answer(
                        "the token A, shown once",
                        obj(("party", "token", "versions_url"), party=PARTY, token=STR, versions_url=STR),
                    ),
                    **admin_errors("400", "409"),
                },
                "adminToken",
                requestBody=body(ref("InviteBody")),
            )
        },
        "/admin/parties/register": {
            "post": op(
                "register with a partner using their token A",
                {"201": answer("registered", PARTY), **admin_errors("400", "409", "502")},
                "adminToken",
                requestBody=body(ref("RegisterBody")),
            )
        },
        "/admin/parties/{key}": {
            "parameters": [key],
            "patch": op(
                "change a partner's policy",
                {"200": answer("updated", PARTY), **admin_errors("400", "404")},
                "adminToken",
                requestBody=body(ref("PolicyBody")),
            ),
            "delete": op(
                "unregister and forget a partner",
                {
                    "200": answer("removed", obj(("removed",), removed=PARTY, unregistered_at_partner=BOOL)),
                    **admin_errors("404"),
                },
                "adminToken",
            ),
        },
        "/admin/parties/{key}/endpoints": {
            "parameters": [key],
            "post": op(
                "read the partner's version details again now (their endpoints, or the error)",
                {"200": answer("the partner, with what was read", PARTY), **admin_errors("404", "409")},
                "adminToken",
            ),
        },
        "/admin/status": {
            "get": {
                "summary": "the HTML status page (token as header or ?token=)",
                "parameters": [query("token", STR, "the admin token, for browsers", required=False)],
                "security": [{"adminToken": []}, {"adminTokenQuery": []}],
                "responses": {
                    "200": {"description": "page", "content": {"text/html": {"schema": STR}}},
                    **admin_errors(),
                },
            }
        },
        "/admin/status/overview": {
            "get": op(
                "stations, sessions and this node's recent jobs",
                {"200": answer("overview", overview), **admin_errors()},
                "adminToken",
            )
        },
        "/admin/status/sessions/{session_id}/chart": {
            "get": op(
                "requested profile against the station's composite schedule",
                {"200": answer("chart data", chart), **admin_errors("400", "404")},
                "adminToken",
                parameters=[
                    session_id,
                    query("live", {"enum": ["true", "false"]}, "ask a connected station now", required=False),
                    query(
                        "duration",
                        {"type": "integer", "minimum": 1, "maximum": 86400},
                        "seconds of composite schedule to ask for",
                        required=False,
                    ),
                ],
            )
        },
        "/admin/status/status.js": {"get": op("the status page's script", {"200": asset})},
        "/admin/status/status.css": {"get": op("the status page's style", {"200": asset})},
    }
