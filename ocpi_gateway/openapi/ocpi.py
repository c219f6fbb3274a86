"""The OCPI 2.2.1 paths: versions, version details, credentials and the ChargingProfiles Receiver."""

from __future__ import annotations

from typing import Any

from ocpi_gateway.openapi.parts import (
    DURATION,
    OCPI_ERRORS,
    RESPONSE_URL,
    STR,
    array,
    body,
    obj,
    ocpi_response,
    op,
    path_param,
    ref,
)

OCPI = "/ocpi/2.2.1"


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
    }
