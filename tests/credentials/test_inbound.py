"""A partner registers with us: token A -> credentials POST -> token C; then PUT (rotate) and DELETE.

The partner is a real mock SCSP on a real socket; it reads our versions with the token A we
issued, POSTs its token B, and the gateway reads the partner's versions and details with B.
"""

from __future__ import annotations

from typing import Any

import httpx

from ocpi_gateway.appkeys import BACKEND, PARTIES
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.config import token_digest
from ocpi_gateway.partners.parties import PartyDirectory
from tests.conftest import Gateway, GatewayFactory, StationFactory
from tests.credentials.conftest import admin, invite, ocpi_get, versions_url, wait_session
from tests.e2e.helpers import PROFILE_A, ocpi_headers, put_profile


async def post_credentials(
    gateway: Gateway, token: str, body: object, method: str = "POST"
) -> httpx.Response:
    """A raw credentials call, for the refusals the mock SCSP would never send."""
    async with httpx.AsyncClient() as client:
        return await client.request(
            method, f"{gateway.base_url}/ocpi/2.2.1/credentials", json=body, headers=ocpi_headers(token)
        )


class TestRegistration:
    async def test_full_handshake_then_steering(
        self, gateway: Gateway, jedlix: MockScsp, station_factory: StationFactory
    ) -> None:
        """Token A -> POST: our credentials with token C; their endpoints stored; both sides then work."""
        token_a = await invite(gateway)
        ours = await jedlix.credentials.register_with(versions_url(gateway), token_a)

        assert ours["url"] == versions_url(gateway)
        assert ours["roles"][0]["role"] == "CPO"
        assert ours["token"] not in (token_a, jedlix.token)
        party = await gateway.app[PARTIES].get("NL*JDX")
        assert party is not None
        assert party.registered
        assert party.chargingprofiles_url == f"{jedlix.base_url}/ocpi/2.2.1/chargingprofiles"
        assert party.sessions_url == f"{jedlix.base_url}/ocpi/2.2.1/sessions"
        assert party.their_token == jedlix.token  # token B: we call them with it
        # While handling its POST the partner read our endpoints with its new token.
        assert "chargingprofiles" in jedlix.credentials.gateway_endpoints

        station = await station_factory(gateway)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(gateway, session_id)
        url = jedlix.result_url("after-handshake")
        answer = await put_profile(gateway.base_url, ours["token"], session_id, PROFILE_A, url)
        assert answer.json()["data"]["result"] == "ACCEPTED"
        result = await jedlix.wait_for(lambda r: r.path == "/results/after-handshake")
        assert result.body == {"result": "ACCEPTED"}

    async def test_get_credentials_with_token_c(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """GET credentials with the new token C: that token, our versions URL and our CPO role."""
        ours = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        response = await ocpi_get(gateway, "/ocpi/2.2.1/credentials", ours["token"])
        assert response.json()["data"] == ours

    async def test_token_a_is_dead_after_registration(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """After the handshake token A gives 401, even on versions and credentials."""
        token_a = await invite(gateway)
        await jedlix.credentials.register_with(versions_url(gateway), token_a)
        assert (await ocpi_get(gateway, "/ocpi/versions", token_a)).status_code == 401
        again = await post_credentials(gateway, token_a, jedlix.credentials.our_credentials("x"))
        assert again.status_code == 401

    async def test_post_when_registered_is_405(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """A second POST with the new token C is refused with 405: registration is done once."""
        ours = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        response = await post_credentials(gateway, ours["token"], jedlix.credentials.our_credentials("x"))
        assert response.status_code == 405

    async def test_roles_must_name_the_invited_party(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Token A issued to NL*JDX cannot register a different party: 2001, token A still valid."""
        token_a = await invite(gateway)
        jedlix.party_id = "XYZ"
        body = jedlix.credentials.our_credentials("token-b")
        response = await post_credentials(gateway, token_a, body)
        assert (response.status_code, response.json()["status_code"]) == (400, 2001)
        assert (await ocpi_get(gateway, "/ocpi/versions", token_a)).status_code == 200

    async def test_a_role_outside_ocpi_is_2001_naming_it(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """``roles[].role`` must be an OCPI Role: 2001 naming it; nothing stored, token A still valid."""
        token_a = await invite(gateway)
        body = jedlix.credentials.our_credentials("token-b")
        body["roles"][0]["role"] = "WIZARD"
        response = await post_credentials(gateway, token_a, body)
        assert (response.status_code, response.json()["status_code"]) == (400, 2001)
        assert "role" in response.json()["status_message"]
        assert (await ocpi_get(gateway, "/ocpi/versions", token_a)).status_code == 200
        party = await gateway.app[PARTIES].get("NL*JDX")
        assert party is not None
        assert (party.role, party.status) == ("SCSP", "invited")


class TestHandshakeErrors:
    async def test_3001_when_their_versions_fail(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Their versions endpoint answers 500: status 3001 and nothing changes (token A still works)."""
        token_a = await invite(gateway)
        jedlix.versions_status = 500
        jedlix.token = "token-b"
        body = {**jedlix.credentials.our_credentials("token-b"), "url": f"{jedlix.base_url}/ocpi/versions"}
        response = await post_credentials(gateway, token_a, body)
        assert response.json()["status_code"] == 3001
        party = await gateway.app[PARTIES].get("NL*JDX")
        assert party is not None
        assert party.status == "invited"
        assert party.token_digest == token_digest(token_a)

    async def test_3001_when_their_versions_are_unreachable(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """A versions URL nobody listens on: status 3001."""
        token_a = await invite(gateway)
        body = {**jedlix.credentials.our_credentials("token-b"), "url": "http://127.0.0.1:1/ocpi/versions"}
        response = await post_credentials(gateway, token_a, body)
        assert response.json()["status_code"] == 3001

    async def test_3002_without_221(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """They publish only 2.1.1: status 3002."""
        token_a = await invite(gateway)
        jedlix.published_versions = ["2.1.1"]
        jedlix.token = "token-b"
        response = await post_credentials(gateway, token_a, jedlix.credentials.our_credentials("token-b"))
        assert response.json()["status_code"] == 3002

    async def test_3003_without_chargingprofiles_sender(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Their details lack chargingprofiles SENDER: status 3003."""
        token_a = await invite(gateway)
        jedlix.omitted_endpoints = {"chargingprofiles"}
        jedlix.token = "token-b"
        response = await post_credentials(gateway, token_a, jedlix.credentials.our_credentials("token-b"))
        assert response.json()["status_code"] == 3003

    async def test_private_versions_url_refused_by_default(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """An invited partner without private callbacks may not point us at loopback: 3001, no call made."""
        token_a = await invite(gateway, allow_private_callbacks=False)
        jedlix.token = "token-b"
        response = await post_credentials(gateway, token_a, jedlix.credentials.our_credentials("token-b"))
        assert response.json()["status_code"] == 3001
        assert "non-public address" in response.json()["status_message"]


class TestRotationAndUnregister:
    async def test_put_rotates_both_tokens(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """PUT with token C: a new token C' (C dies) and their new token B' is what we use."""
        old = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        new = await jedlix.credentials.update_with()
        assert new["token"] != old["token"]
        assert (await ocpi_get(gateway, "/ocpi/2.2.1", old["token"])).status_code == 401
        assert (await ocpi_get(gateway, "/ocpi/2.2.1", new["token"])).status_code == 200
        party = await gateway.app[PARTIES].get("NL*JDX")
        assert party is not None
        assert party.their_token == jedlix.token

    async def test_put_and_delete_need_registration(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """PUT or DELETE with a token A: 405."""
        token_a = await invite(gateway)
        for method in ("PUT", "DELETE"):
            response = await post_credentials(
                gateway, token_a, jedlix.credentials.our_credentials("b"), method
            )
            assert response.status_code == 405

    async def test_delete_unregisters(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """DELETE with token C: 1000, the partner is gone and token C gives 401."""
        ours = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        response = await jedlix.credentials.unregister_with()
        assert (response.status_code, response.json()["status_code"]) == (200, 1000)
        assert await gateway.app[PARTIES].get("NL*JDX") is None
        assert (await ocpi_get(gateway, "/ocpi/versions", ours["token"])).status_code == 401
        listed = (await admin(gateway, "GET", "/admin/parties")).json()
        assert "NL*JDX" not in [p["key"] for p in listed]


class TestStaticPartners:
    async def test_static_partner_registers_and_config_does_not_overwrite(
        self, gateway_factory: GatewayFactory, jedlix: MockScsp
    ) -> None:
        """A configured partner with only ``token`` is invited; after its handshake the stored record wins."""
        static = {
            "country_code": "NL",
            "party_id": "JDX",
            "token": "static-token-a",
            "allow_private_callbacks": True,
        }
        gateway = await gateway_factory(ocpi={"parties": [static]})
        ours = await jedlix.credentials.register_with(versions_url(gateway), "static-token-a")
        # A restarted node on the same backend seeds the configuration again.
        restarted = PartyDirectory.from_settings(gateway.settings.ocpi.parties, gateway.app[BACKEND].parties)
        assert await restarted.authenticate(f"Token {ours['token']}") is not None
        assert await restarted.authenticate("Token static-token-a") is None
        assert (await ocpi_get(gateway, "/ocpi/versions", "static-token-a")).status_code == 401


class TestSharedByNodes:
    async def test_registration_on_one_node_is_known_by_another(
        self, gateway_factory: GatewayFactory, jedlix: MockScsp, redis_settings: dict[str, Any]
    ) -> None:
        """Two nodes on one Redis: the handshake on node 1 makes token C valid and token A dead on node 2."""
        node1 = await gateway_factory(redis=redis_settings)
        node2 = await gateway_factory(redis=redis_settings)
        token_a = await invite(node1)
        assert (await ocpi_get(node2, "/ocpi/versions", token_a)).status_code == 200
        ours = await jedlix.credentials.register_with(versions_url(node1), token_a)
        assert (await ocpi_get(node2, "/ocpi/2.2.1", ours["token"])).status_code == 200
        assert (await ocpi_get(node2, "/ocpi/versions", token_a)).status_code == 401
