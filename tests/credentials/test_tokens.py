"""Token hygiene: only digests of the tokens partners call us with are stored, and no token is logged."""

from __future__ import annotations

import json

from structlog.testing import capture_logs

from ocpi_gateway.appkeys import BACKEND
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.config import token_digest
from tests.conftest import Gateway, StationFactory
from tests.credentials.conftest import admin, invite, versions_url, wait_session
from tests.e2e.helpers import PROFILE_A, put_profile


async def stored(gateway: Gateway) -> str:
    """Every partner record of the backend, as the JSON a Redis backend would hold."""
    records = await gateway.app[BACKEND].parties.list_all()
    return json.dumps([r.model_dump(mode="json") for r in records])


class TestStorage:
    async def test_only_digests_of_our_tokens_are_stored(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """After a handshake the backend holds digest(C), never token A or token C themselves."""
        token_a = await invite(gateway)
        assert token_a not in await stored(gateway)
        ours = await jedlix.credentials.register_with(versions_url(gateway), token_a)
        dump = await stored(gateway)
        assert token_digest(ours["token"]) in dump
        assert ours["token"] not in dump
        assert token_a not in dump

    async def test_admin_listing_shows_no_token(self, gateway: Gateway, jedlix: MockScsp) -> None:
        """``GET /admin/parties`` never carries a token or a digest."""
        ours = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        listing = (await admin(gateway, "GET", "/admin/parties")).text
        for secret in (ours["token"], token_digest(ours["token"]), jedlix.token):
            assert secret not in listing


class TestLogs:
    async def test_no_token_in_any_log_line_through_whole_handshakes(
        self, gateway: Gateway, jedlix: MockScsp, station_factory: StationFactory
    ) -> None:
        """Invite, register, steer, rotate, unregister, register outwards, remove: no token in the logs."""
        secrets: list[str] = []
        with capture_logs() as logs:
            secrets.append(await invite(gateway))
            first = await jedlix.credentials.register_with(versions_url(gateway), secrets[-1])
            secrets += [first["token"], jedlix.token]
            station = await station_factory(gateway)
            session_id = await station.start_transaction(connector_id=1)
            await wait_session(gateway, session_id)
            url = jedlix.result_url("logged")
            await put_profile(gateway.base_url, first["token"], session_id, PROFILE_A, url)
            await jedlix.wait_for(lambda r: r.path == "/results/logged")
            second = await jedlix.credentials.update_with()
            secrets += [second["token"], jedlix.token]
            await jedlix.credentials.unregister_with()
            secrets.append(jedlix.credentials.invite())
            body = {"versions_url": f"{jedlix.base_url}/ocpi/versions", "token": secrets[-1]}
            await admin(gateway, "POST", "/admin/parties/register", {**body, "allow_private_callbacks": True})
            secrets += [jedlix.token, jedlix.our_token]
            await admin(gateway, "DELETE", "/admin/parties/NL*JDX")
        events = {entry["event"] for entry in logs}
        expected = {
            "party_invited",
            "party_registered",
            "party_updated",
            "party_unregistered",
            "callback_delivered",
        }
        assert expected | {"party_registered_with", "party_removed"} <= events
        text = "\n".join(repr(entry) for entry in logs)
        for secret in secrets:
            assert secret not in text
