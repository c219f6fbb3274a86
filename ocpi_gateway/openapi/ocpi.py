"""The OCPI 2.2.1 paths: versions, version details, credentials and the ChargingProfiles Receiver."""

from __future__ import annotations

from typing import Any

from ocpi_gateway.openapi.parts import (
    DURATION,
    ID_HEADERS,
    INT,
    OCPI_ERRORS,
    RESPONSE_URL,
    STR,
    array,
    body,
    obj,
    ocpi_response,
    op,
    path_param,
    query,
    ref,
)

OCPI = "/ocpi/2.2.1"


def sessions_path() -> dict[str, Any]:
    """``GET /ocpi/2.2.1/sessions``: the Sessions module's paginated pull (CPO Sender)."""
    page = ocpi_response("one page of Session objects", array(ref("OcpiSession")))
    page["headers"] = {
        **ID_HEADERS,
        "X-Total-Count": {"required": True, "schema": STR, "description": "sessions matching the filters"},
        "X-Limit": {"required": True, "schema": STR, "description": "the page size applied"},
        "Link": {"required": False, "schema": STR, "description": '<next page URL>; rel="next"'},
    }
    when = {"type": "string", "format": "date-time"}
    return {
        f"{OCPI}/sessions": {
            "get": op(
                "sessions the caller may steer, by last_updated (date_from inclusive, date_to exclusive)",
                {"200": page, **OCPI_ERRORS},
                "ocpiToken",
                parameters=[
                    query("date_from", when, "only sessions changed at or after this", required=True),
                    query("date_to", when, "only sessions changed before this", required=False),
                    query("offset", {**INT, "minimum": 0}, "skip this many (default 0)", required=False),
                    query("limit", {**INT, "minimum": 1}, "page size (default and cap 100)", required=False),
                ],
            )
        }
    }


def ocpi_paths() -> dict[str, Any]:
    session = [path_param("session_id", "the OCPI session id (CiString(36))")]
    answer = ocpi_response("the synchronous ChargingProfileResponse", ref("ChargingProfileResponse"))
    cred = ocpi_response("our credentials for this caller", ref("Credentials"))
    return {
        "/ocpi/versions": {
            "get": op(
                "OCPI versions we speak",
                {
                    "200": ocpi_response("versions", array(obj(("version", "url"), version=STR, url=STR))),
                    **OCPI_ERRORS,
                },
                "ocpiToken",
            ),
        },
        OCPI: {
            "get": op(
                "OCPI 2.2.1 version details",
                {
                    "200": ocpi_response(
                        "endpoints",
                        obj(
                            ("version", "endpoints"),
                            version=STR,
                            endpoints=array(
                                obj(("identifier", "role", "url"), identifier=STR, role=STR, url=STR)
                            ),
                        ),
                    ),
                    **OCPI_ERRORS,
                },
                "ocpiToken",
            ),
        },
        f"{OCPI}/credentials": {
            "get": op("credentials of this connection", {"200": cred, **OCPI_ERRORS}, "ocpiToken"),
            "post": op(
                "register with token A",
                {"200": cred, "405": ocpi_response("already registered"), **OCPI_ERRORS},
                "ocpiToken",
                requestBody=body(ref("Credentials")),
            ),
            "put": op(
                "update or rotate credentials",
                {"200": cred, "405": ocpi_response("not registered"), **OCPI_ERRORS},
                "ocpiToken",
                requestBody=body(ref("Credentials")),
            ),
            "delete": op(
                "unregister",
                {
                    "200": ocpi_response("unregistered"),
                    "405": ocpi_response("not registered"),
                    **OCPI_ERRORS,
                },
                "ocpiToken",
            ),
        },
        f"{OCPI}/chargingprofiles/{{session_id}}": {
            "parameters": session,
            "put": op(
                "set or replace the session's charging profile",
                {"200": answer, **OCPI_ERRORS},
                "ocpiToken",
                requestBody=body(ref("SetChargingProfile")),
            ),
            "get": op(
                "ask for the active (composite) profile",
                {"200": answer, **OCPI_ERRORS},
                "ocpiToken",
                parameters=[DURATION, RESPONSE_URL],
            ),
            "delete": op(
                "clear the gateway's profile of the session",
                {"200": answer, **OCPI_ERRORS},
                "ocpiToken",
                parameters=[RESPONSE_URL],
            ),
        },
        **sessions_path(),
    }
