"""The admin API: token guard, external sessions, connected stations."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ocpi_gateway.appkeys import SESSIONS
from tests.admin.admin_support import ADMIN_TOKEN, AdminClientFactory, admin_auth

Client = TestClient[web.Request, web.Application]
EXTERNAL = {"station_id": "CP-16", "connector_id": 2, "transaction_id": "7001"}


class TestAuth:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/admin/sessions"),
            ("PUT", "/admin/sessions/S1"),
            ("DELETE", "/admin/sessions/S1"),
            ("GET", "/admin/stations"),
        ],
    )
    async def test_missing_token_is_401(self, admin: Client, method: str, path: str) -> None:
        """Every admin endpoint refuses a call without the token, as JSON (not an OCPI envelope)."""
        response = await admin.request(method, path, json=EXTERNAL)
        assert response.status == 401
        assert "error" in await response.json()

    async def test_wrong_token_is_401(self, admin: Client) -> None:
        """A token other than admin.token is refused."""
        response = await admin.get("/admin/sessions", headers=admin_auth("guess"))
        assert response.status == 401

    @pytest.mark.parametrize("encoded", [False, True], ids=["raw", "base64"])
    async def test_raw_and_base64_tokens_work(self, admin: Client, encoded: bool) -> None:
        """The admin token may be sent raw or Base64-encoded."""
        response = await admin.get("/admin/sessions", headers=admin_auth(encoded=encoded))
        assert response.status == 200

    async def test_no_configured_token_closes_the_api(self, make_admin_client: AdminClientFactory) -> None:
        """Without admin.token every admin call is 401, whatever is sent."""
        admin = await make_admin_client(admin_token=None)
        response = await admin.get("/admin/sessions", headers=admin_auth(ADMIN_TOKEN))
        assert response.status == 401


class TestSessions:
    async def test_put_registers_an_external_session(self, admin: Client) -> None:
        """PUT registers the session (201) with OCPP 1.6 when the station is not connected."""
        response = await admin.put("/admin/sessions/EXT-1", json=EXTERNAL, headers=admin_auth())
        body = await response.json()
        assert response.status == 201
        assert {k: body[k] for k in ("session_id", "station_id", "connector_id", "evse_id")} == {
            "session_id": "EXT-1",
            "station_id": "CP-16",
            "connector_id": 2,
            "evse_id": 2,
        }
        assert (body["transaction_id"], body["ocpp_version"], body["status"]) == ("7001", "ocpp1.6", "ACTIVE")
        assert await admin.app[SESSIONS].get("EXT-1") is not None

    async def test_put_takes_the_connected_stations_protocol(self, admin: Client) -> None:
        """Without ocpp_version, a connected station's protocol is used."""
        body = {"station_id": "CP-201", "connector_id": 1, "transaction_id": "tx-a", "evse_id": 1}
        response = await admin.put("/admin/sessions/EXT-2", json=body, headers=admin_auth())
        assert (await response.json())["ocpp_version"] == "ocpp2.0.1"

    async def test_put_keeps_owner_upper_cased(self, admin: Client) -> None:
        """An optional owner (party key) is stored so only that party may steer the session."""
        body = {**EXTERNAL, "owner": "nl*scs"}
        await admin.put("/admin/sessions/EXT-3", json=body, headers=admin_auth())
        session = await admin.app[SESSIONS].get("EXT-3")
        assert session is not None
        assert session.owner == "NL*SCS"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"connector_id": 1, "transaction_id": "1"}, "station_id"),
            ({**EXTERNAL, "connector_id": "two"}, "connector_id"),
            ({**EXTERNAL, "ocpp_version": "ocpp9"}, "ocpp_version"),
            ({**EXTERNAL, "transaction_id": ""}, "transaction_id"),
            ({**EXTERNAL, "owner": "garbage"}, "owner"),
        ],
        ids=[
            "missing-station",
            "bad-connector",
            "bad-version",
            "empty-transaction",
            "bad-owner",
        ],
    )
    async def test_put_validation_error_is_400_naming_the_field(
        self, admin: Client, body: dict[str, object], field: str
    ) -> None:
        """An invalid body answers 400 with a message naming the field, and stores nothing."""
        response = await admin.put("/admin/sessions/EXT-4", json=body, headers=admin_auth())
        assert response.status == 400
        assert field in (await response.json())["error"]
        assert await admin.app[SESSIONS].get("EXT-4") is None

    async def test_put_with_bad_json_is_400(self, admin: Client) -> None:
        """A body that is not JSON answers 400."""
        response = await admin.put("/admin/sessions/EXT-5", data=b"{", headers=admin_auth())
        assert response.status == 400

    async def test_list_filters_by_station(self, admin: Client) -> None:
        """GET lists sessions; ``?station_id=`` keeps only that station's."""
        await admin.put("/admin/sessions/A", json=EXTERNAL, headers=admin_auth())
        await admin.put("/admin/sessions/B", json={**EXTERNAL, "station_id": "CP-X"}, headers=admin_auth())
        everything = await (await admin.get("/admin/sessions", headers=admin_auth())).json()
        only_x = await (await admin.get("/admin/sessions?station_id=CP-X", headers=admin_auth())).json()
        assert sorted(s["session_id"] for s in everything) == ["A", "B"]
        assert [s["session_id"] for s in only_x] == ["B"]

    async def test_delete_ends_the_session(self, admin: Client) -> None:
        """DELETE ends a known session (200, status COMPLETED with ended_at)."""
        await admin.put("/admin/sessions/EXT-6", json=EXTERNAL, headers=admin_auth())
        response = await admin.delete("/admin/sessions/EXT-6", headers=admin_auth())
        body = await response.json()
        assert (response.status, body["status"]) == (200, "COMPLETED")
        assert body["ended_at"] is not None

    async def test_delete_unknown_is_404(self, admin: Client) -> None:
        """DELETE of a session nobody knows answers 404 as admin JSON."""
        response = await admin.delete("/admin/sessions/nope", headers=admin_auth())
        assert response.status == 404
        assert "error" in await response.json()


class TestStations:
    async def test_lists_connected_stations(self, admin: Client) -> None:
        """GET /admin/stations shows protocol, node, time and reported capabilities."""
        response = await admin.get("/admin/stations", headers=admin_auth())
        assert await response.json() == [
            {
                "station_id": "CP-201",
                "protocol": "ocpp2.0.1",
                "node": "node-a",
                "connected_at": "2024-05-01T12:00:00Z",
                "capabilities": {
                    "allowed_units": ["A"],
                    "max_stack_level": None,
                    "max_periods": 24,
                    "max_profiles": None,
                    "smart_charging": True,
                    "reported": True,
                },
                "vendor": "Acme",
                "model": "X1",
            }
        ]
