"""Versions, version details and credentials: discovery with any token, the credentials 405 rules."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.ocpi.ocpi_support import SCSP_TOKEN, TOKEN_A, auth

Client = TestClient[web.Request, web.Application]
BASE = "https://gw.example.com"


class TestVersions:
    @pytest.mark.parametrize("path", ["/ocpi/versions", "/ocpi/versions/"])
    async def test_versions_lists_221(self, client: Client, path: str) -> None:
        """GET versions (with or without trailing slash) lists 2.2.1 at the public base URL."""
        response = await client.get(path, headers=auth())
        body = await response.json()
        assert (response.status, body["status_code"]) == (200, 1000)
        assert body["data"] == [{"version": "2.2.1", "url": f"{BASE}/ocpi/2.2.1"}]

    @pytest.mark.parametrize("path", ["/ocpi/2.2.1", "/ocpi/2.2.1/"])
    async def test_details_publish_credentials_chargingprofiles_sessions(
        self, client: Client, path: str
    ) -> None:
        """Version details publish credentials (SENDER), chargingprofiles (RECEIVER), sessions (SENDER)."""
        response = await client.get(path, headers=auth(TOKEN_A))
        assert (await response.json())["data"] == {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "credentials", "role": "SENDER", "url": f"{BASE}/ocpi/2.2.1/credentials"},
                {
                    "identifier": "chargingprofiles",
                    "role": "RECEIVER",
                    "url": f"{BASE}/ocpi/2.2.1/chargingprofiles",
                },
                {"identifier": "sessions", "role": "SENDER", "url": f"{BASE}/ocpi/2.2.1/sessions"},
            ],
        }

    async def test_versions_need_a_token(self, client: Client) -> None:
        """Even discovery needs a known token: 401 without one."""
        response = await client.get("/ocpi/2.2.1")
        assert response.status == 401


class TestCredentials:
    async def test_get_returns_callers_token_and_our_role(self, client: Client) -> None:
        """GET credentials: the token the caller presented (decoded), our versions URL, role CPO."""
        response = await client.get("/ocpi/2.2.1/credentials", headers=auth())
        assert (await response.json())["data"] == {
            "token": SCSP_TOKEN,
            "url": f"{BASE}/ocpi/versions",
            "roles": [
                {
                    "role": "CPO",
                    "party_id": "GWY",
                    "country_code": "NL",
                    "business_details": {"name": "Test Gateway"},
                }
            ],
        }

    async def test_get_with_raw_token_returns_it(self, client: Client) -> None:
        """A raw (not Base64) token is returned as presented."""
        response = await client.get("/ocpi/2.2.1/credentials/", headers={"Authorization": f"Token {TOKEN_A}"})
        assert (await response.json())["data"]["token"] == TOKEN_A

    @pytest.mark.parametrize(
        ("method", "token"),
        [("POST", SCSP_TOKEN), ("PUT", TOKEN_A), ("DELETE", TOKEN_A)],
        ids=["post-registered", "put-unregistered", "delete-unregistered"],
    )
    async def test_misuse_is_405(self, client: Client, method: str, token: str) -> None:
        """POST when registered, PUT/DELETE when not: HTTP 405 (OCPI credentials rules)."""
        response = await client.request(method, "/ocpi/2.2.1/credentials", json={}, headers=auth(token))
        assert response.status == 405
        assert (await response.json())["status_code"] == 2000

    @pytest.mark.parametrize(
        ("method", "token"), [("POST", TOKEN_A), ("PUT", SCSP_TOKEN)], ids=["post-invited", "put-registered"]
    )
    async def test_handshake_body_must_be_credentials(self, client: Client, method: str, token: str) -> None:
        """Allowed POST/PUT with a body that is no Credentials object: 2001 naming the fields."""
        response = await client.request(method, "/ocpi/2.2.1/credentials", json={}, headers=auth(token))
        body = await response.json()
        assert (response.status, body["status_code"]) == (400, 2001)
        assert body["status_message"] == "token: Field required; url: Field required; roles: Field required"
