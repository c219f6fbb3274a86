"""Transport rules around every OCPI call: ids, tokens, errors, body limits, routing headers."""

from __future__ import annotations

import json
import uuid

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient

from ocpi_gateway.errors import BackendError
from tests.ocpi.ocpi_support import (
    PROFILES,
    SCSP_TOKEN,
    TOKEN_A,
    VALID_PROFILE,
    ClientFactory,
    RecordingSteering,
    auth,
)

Client = TestClient[web.Request, web.Application]
PUT_URL = f"{PROFILES}/S1"
GET_URL = f"{PROFILES}/S1?duration=60&response_url=https://scsp.example.com/r/1"


class TestRequestIds:
    async def test_ids_are_echoed(self, client: Client) -> None:
        """X-Request-ID and X-Correlation-ID sent by the caller come back unchanged."""
        headers = {**auth(), "X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
        response = await client.get("/ocpi/versions", headers=headers)
        assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == (
            "req-1",
            "corr-1",
        )

    async def test_ids_are_generated_when_missing(self, client: Client) -> None:
        """Without the headers the gateway answers with fresh UUID4 values."""
        response = await client.get("/ocpi/versions", headers=auth())
        assert uuid.UUID(response.headers["X-Request-ID"]).version == 4
        assert uuid.UUID(response.headers["X-Correlation-ID"]).version == 4

    async def test_ids_are_echoed_on_errors(self, client: Client) -> None:
        """Even a 401 carries the caller's ids."""
        response = await client.get("/ocpi/versions", headers={"X-Request-ID": "req-2"})
        assert response.status == 401
        assert response.headers["X-Request-ID"] == "req-2"

    async def test_ids_reach_steering(self, client: Client, steering: RecordingSteering) -> None:
        """The request's ids are handed to Steering so they travel into the job and callback."""
        headers = {**auth(), "X-Request-ID": "req-3", "X-Correlation-ID": "corr-3"}
        await client.put(PUT_URL, json=VALID_PROFILE, headers=headers)
        assert (steering.calls[0].ctx.request_id, steering.calls[0].ctx.correlation_id) == (
            "req-3",
            "corr-3",
        )


class TestTokens:
    async def test_base64_token_is_accepted(self, client: Client) -> None:
        """``Token <base64>`` (OCPI 2.2.1) authenticates."""
        response = await client.put(PUT_URL, json=VALID_PROFILE, headers=auth())
        assert response.status == 200

    async def test_raw_token_is_accepted(self, client: Client) -> None:
        """``Token <raw>`` (older peers) authenticates too."""
        response = await client.put(
            PUT_URL, json=VALID_PROFILE, headers={"Authorization": f"Token {SCSP_TOKEN}"}
        )
        assert response.status == 200

    @pytest.mark.parametrize(
        "headers",
        [{}, auth("nobody-has-this"), {"Authorization": f"Bearer {SCSP_TOKEN}"}],
        ids=["missing", "unknown", "wrong-scheme"],
    )
    async def test_missing_or_unknown_token_is_401(self, client: Client, headers: dict[str, str]) -> None:
        """No valid token: HTTP 401 with an envelope, and Steering is never called."""
        response = await client.put(PUT_URL, json=VALID_PROFILE, headers=headers)
        assert response.status == 401
        assert (await response.json())["status_code"] == 2000

    @pytest.mark.parametrize(
        ("method", "url"),
        [("PUT", PUT_URL), ("GET", GET_URL), ("DELETE", f"{PROFILES}/S1?response_url=https://x.example/r")],
    )
    async def test_token_a_is_refused_on_chargingprofiles(
        self, client: Client, steering: RecordingSteering, method: str, url: str
    ) -> None:
        """A party holding only token A gets 401 on the functional module."""
        response = await client.request(method, url, json=VALID_PROFILE, headers=auth(TOKEN_A))
        assert response.status == 401
        assert steering.calls == []

    async def test_token_a_is_accepted_on_versions(self, client: Client) -> None:
        """Token A is exactly what versions is for."""
        response = await client.get("/ocpi/versions", headers=auth(TOKEN_A))
        assert response.status == 200


class TestBodies:
    async def test_invalid_json_is_400(self, client: Client) -> None:
        """A body that is not JSON: HTTP 400 with status 2001."""
        response = await client.put(
            PUT_URL, data=b"{not json", headers={**auth(), "Content-Type": "application/json"}
        )
        assert response.status == 400
        assert (await response.json())["status_code"] == 2001

    async def test_non_json_content_type_is_400(self, client: Client) -> None:
        """PUT with a non-JSON Content-Type is refused even if the text parses."""
        body = json.dumps(VALID_PROFILE).encode()
        response = await client.put(PUT_URL, data=body, headers={**auth(), "Content-Type": "text/plain"})
        assert response.status == 400

    async def test_missing_content_type_is_tolerated(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """A PUT without Content-Type is accepted when its body parses as JSON."""
        body = json.dumps(VALID_PROFILE).encode()
        response = await client.put(PUT_URL, data=body, headers=auth(), skip_auto_headers=["Content-Type"])
        assert response.status == 200
        assert len(steering.calls) == 1

    async def test_oversized_body_is_413(self, client: Client) -> None:
        """A body above http.max_body_bytes: HTTP 413 with an envelope (status 2000)."""
        big = {**VALID_PROFILE, "padding": "x" * 4096}
        response = await client.put(PUT_URL, json=big, headers=auth())
        assert response.status == 413
        assert (await response.json())["status_code"] == 2000

    async def test_invalid_params_status_is_configurable(self, make_client: ClientFactory) -> None:
        """With ``ocpi.invalid_params_http_status = 200`` a 2001 answer comes with HTTP 200."""
        client = await make_client(invalid_params_http_status=200)
        response = await client.get(f"{PROFILES}/S1?response_url=https://x.example/r", headers=auth())
        assert response.status == 200
        assert (await response.json())["status_code"] == 2001


class TestErrors:
    async def test_unknown_path_is_404_envelope(self, client: Client) -> None:
        """A path no route matches: HTTP 404 with an OCPI envelope."""
        response = await client.get("/ocpi/2.2.1/nothing-here", headers=auth())
        assert response.status == 404
        assert (await response.json())["status_code"] == 2000

    async def test_unsupported_method_is_405_envelope(self, client: Client) -> None:
        """POST on chargingprofiles: HTTP 405 with an envelope and an Allow header."""
        response = await client.post(PUT_URL, json=VALID_PROFILE, headers=auth())
        assert response.status == 405
        assert "PUT" in response.headers["Allow"]
        assert (await response.json())["status_code"] == 2000

    async def test_backend_error_is_503(self, client: Client, steering: RecordingSteering) -> None:
        """A backend failure answers 3000 with HTTP 503, never ACCEPTED."""
        steering.error = BackendError("down")
        response = await client.put(PUT_URL, json=VALID_PROFILE, headers=auth())
        assert response.status == 503
        assert (await response.json())["status_code"] == 3000

    async def test_unexpected_error_is_500_and_logged_without_token(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """A bug answers 3000 / HTTP 500 and is logged with its traceback, without the token."""
        steering.error = RuntimeError("boom")
        with structlog.testing.capture_logs() as logs:
            response = await client.put(PUT_URL, json=VALID_PROFILE, headers=auth())
        assert response.status == 500
        assert (await response.json())["status_code"] == 3000
        failed = [entry for entry in logs if entry["event"] == "request_failed"]
        assert failed
        assert failed[0]["exc_info"] is True
        assert SCSP_TOKEN not in repr(logs)


class TestRoutingHeaders:
    async def test_present_on_chargingprofiles(self, client: Client) -> None:
        """Functional module answers: from = the gateway, to = the calling party."""
        response = await client.put(PUT_URL, json=VALID_PROFILE, headers=auth())
        assert {k: response.headers.get(k) for k in ROUTING} == {
            "OCPI-from-country-code": "NL",
            "OCPI-from-party-id": "GWY",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "SCS",
        }

    async def test_present_on_chargingprofiles_errors(self, client: Client) -> None:
        """A 2001 answer of the functional module carries the routing headers too."""
        response = await client.put(PUT_URL, json={"response_url": "x"}, headers=auth())
        assert response.headers["OCPI-to-party-id"] == "SCS"

    async def test_absent_on_versions(self, client: Client) -> None:
        """Versions is not a functional module: no routing headers."""
        response = await client.get("/ocpi/versions", headers=auth())
        assert not any(k in response.headers for k in ROUTING)


ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")
