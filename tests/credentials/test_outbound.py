"""We register with a partner: their token A -> our credentials POST -> their token C; then remove.

Driven through the admin API and through ``ocpi-gateway parties`` (the CLI runs in a thread:
it is a blocking client of the gateway served by this test's event loop).
"""

from __future__ import annotations

import asyncio

import pytest

from ocpi_gateway.appkeys import PARTIES
from ocpi_gateway.cli import commands as cli
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import ADMIN_TOKEN, Gateway
from tests.credentials.conftest import admin, ocpi_get, versions_url


async def run_cli(gateway: Gateway, *args: str) -> int:
    """``ocpi-gateway parties …`` against ``gateway`` with the test admin token."""
    argv = ["parties", *args, "--gateway", gateway.base_url, "--admin-token", ADMIN_TOKEN]
    return await asyncio.to_thread(cli.main, argv)


def register_body(scsp: MockScsp, token_a: str) -> dict[str, object]:
    return {
        "versions_url": f"{scsp.base_url}/ocpi/versions",
        "token": token_a,
        "allow_private_callbacks": True,
    }


class TestRegisterWithPartner:
    async def test_register_stores_their_token_c(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Admin register: they got our token B (it works on our API), we keep their token C."""
        token_a = jedlix.credentials.invite()
        response = await admin(gateway, "POST", "/admin/parties/register", register_body(jedlix, token_a))
        assert response.status_code == 201, response.text
        assert response.json()["key"] == "NL*JDX"
        assert response.json()["chargingprofiles_url"] == f"{jedlix.base_url}/ocpi/2.2.1/chargingprofiles"
        party = await gateway.app[PARTIES].get("NL*JDX")
        assert party is not None
        assert party.registered
        assert party.their_token == jedlix.token  # their token C
        assert jedlix.credentials.token_a is None  # token A is dead at the partner
        assert (await ocpi_get(gateway, "/ocpi/2.2.1", jedlix.our_token)).status_code == 200

    async def test_register_twice_is_409(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Registering with an already registered partner: 409, the registration is kept."""
        first = await admin(
            gateway, "POST", "/admin/parties/register", register_body(jedlix, jedlix.credentials.invite())
        )
        assert first.status_code == 201
        again = await admin(
            gateway, "POST", "/admin/parties/register", register_body(jedlix, jedlix.credentials.invite())
        )
        assert again.status_code == 409
        assert (await ocpi_get(gateway, "/ocpi/2.2.1", jedlix.our_token)).status_code == 200

    async def test_register_fails_with_3001_and_stores_nothing(
        self, gateway: Gateway, jedlix: MockScsp
    ) -> None:
        """Their versions endpoint fails: 502 carrying OCPI 3001, no partner stored."""
        jedlix.versions_status = 503
        response = await admin(
            gateway, "POST", "/admin/parties/register", register_body(jedlix, jedlix.credentials.invite())
        )
        assert (response.status_code, response.json()["status_code"]) == (502, 3001)
        assert await gateway.app[PARTIES].get("NL*JDX") is None

    async def test_remove_unregisters_at_the_partner(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """Admin DELETE: DELETE sent to their credentials endpoint, partner forgotten, our token B dead."""
        await admin(
            gateway, "POST", "/admin/parties/register", register_body(jedlix, jedlix.credentials.invite())
        )
        response = await admin(gateway, "DELETE", "/admin/parties/NL*JDX")
        assert response.json()["unregistered_at_partner"] is True
        assert jedlix.unregistered
        assert await gateway.app[PARTIES].get("NL*JDX") is None
        assert (await ocpi_get(gateway, "/ocpi/versions", jedlix.our_token)).status_code == 401


class TestPartiesCli:
    async def test_invite_prints_what_to_hand_over(
        self, gateway: Gateway, jedlix: MockScsp, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``parties invite`` prints our versions URL and a token A the partner can register with."""
        code = await run_cli(
            gateway, "invite", "--country", "NL", "--party", "JDX", "--allow-private-callbacks"
        )
        assert code == 0
        out = capsys.readouterr().out
        assert f"versions URL: {versions_url(gateway)}" in out
        token_a = out.split("token A:")[1].split()[0]
        ours = await jedlix.credentials.register_with(versions_url(gateway), token_a)
        assert ours["roles"][0]["role"] == "CPO"

    async def test_register_list_remove(
        self, gateway: Gateway, jedlix: MockScsp, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``register`` runs the handshake, ``list`` shows the partner without tokens, ``remove`` ends it."""
        token_a = jedlix.credentials.invite()
        versions = f"{jedlix.base_url}/ocpi/versions"
        assert (
            await run_cli(
                gateway,
                "register",
                "--versions-url",
                versions,
                "--token",
                token_a,
                "--allow-private-callbacks",
            )
            == 0
        )
        assert "Registered with NL*JDX" in capsys.readouterr().out

        assert await run_cli(gateway, "list") == 0
        listing = capsys.readouterr().out
        assert "NL*JDX" in listing
        assert "registered" in listing
        for secret in (token_a, jedlix.token, jedlix.our_token):
            assert secret not in listing

        assert await run_cli(gateway, "remove", "NL*JDX") == 0
        assert "Removed NL*JDX (unregistered at the partner too)" in capsys.readouterr().out
        assert await gateway.app[PARTIES].get("NL*JDX") is None

    async def test_cli_reports_refusal_in_one_line(
        self, gateway: Gateway, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Removing an unknown partner exits 1 with the gateway's reason on stderr."""
        assert await run_cli(gateway, "remove", "XX*NOP") == 1
        assert "unknown partner XX*NOP" in capsys.readouterr().err
