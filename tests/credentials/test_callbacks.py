"""Callback safety (SSRF): allowed hosts, no private addresses, no redirects, bounded answers.

Unit cases use literal addresses (they resolve without DNS) or an injected resolver for
names; the delivery cases run against real aiohttp servers on loopback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import pytest
from aiohttp import web

from ocpi_gateway.backend.parties import PartyRecord
from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.config import Settings, settings_from_mapping
from ocpi_gateway.delivery.client import ResultDelivery
from ocpi_gateway.errors import CallbackHostUnresolved, CallbackRefused
from ocpi_gateway.partners.callbacks import check_callback_url
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, GatewayFactory, StationFactory
from tests.credentials.conftest import wait_session
from tests.e2e.helpers import PROFILE_A, put_profile


def partner(*hosts: str, private: bool = False, versions_url: str | None = None) -> PartyRecord:
    return PartyRecord(
        country_code="NL",
        party_id="SCS",
        their_token=GATEWAY_TOKEN,
        status="registered",
        response_url_hosts=hosts,
        allow_private_callbacks=private,
        versions_url=versions_url,
    )


def resolving_to(*addresses: str) -> Callable[[str, int], Awaitable[list[str]]]:
    """A resolver that answers ``addresses`` for every name (e.g. a DNS rebinding attacker)."""

    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


class TestCheckCallbackUrl:
    @pytest.mark.parametrize(
        ("url", "hosts"),
        [
            ("https://evil.example.com/r", ("scsp.example.com",)),
            ("http://10.0.0.5/r", ("10.0.0.5",)),
            ("http://192.168.1.10/r", ("192.168.1.10",)),
            ("http://169.254.169.254/latest/meta-data", ("169.254.169.254",)),
            ("http://localhost:8080/r", ("localhost",)),
            ("http://[::1]/r", ("::1",)),
            ("http://[::ffff:127.0.0.1]/r", ("::ffff:127.0.0.1",)),
            ("http://0.0.0.0/r", ("0.0.0.0",)),
            ("http://100.64.0.1/r", ("100.64.0.1",)),
            ("ftp://93.184.216.34/r", ("93.184.216.34",)),
        ],
        ids=[
            "host-not-allowed",
            "private-10",
            "private-192",
            "link-local-metadata",
            "localhost",
            "ipv6-loopback",
            "ipv4-mapped-loopback",
            "unspecified",
            "cgnat",
            "scheme",
        ],
    )
    async def test_refused(self, url: str, hosts: tuple[str, ...]) -> None:
        """Each of these callback URLs is refused for a partner without private callbacks."""
        with pytest.raises(CallbackRefused):
            await check_callback_url(partner(*hosts), url)

    async def test_public_address_on_allowed_host_passes(self) -> None:
        """An allowed host with a public address passes."""
        await check_callback_url(partner("93.184.216.34"), "https://93.184.216.34/results/1")

    async def test_private_allowed_when_partner_allows(self) -> None:
        """``allow_private_callbacks`` lets a loopback callback through (development partners)."""
        await check_callback_url(partner("127.0.0.1", private=True), "http://127.0.0.1:9/r")

    async def test_default_host_is_the_versions_url_host(self) -> None:
        """Without configured hosts, only the host of the registered versions URL is allowed."""
        scsp = partner(versions_url="https://scsp.example.com/ocpi/versions")
        public = resolving_to("93.184.216.34")
        await check_callback_url(scsp, "https://scsp.example.com/cb/1", resolver=public)
        with pytest.raises(CallbackRefused, match="not an allowed callback host"):
            await check_callback_url(scsp, "https://other.example.com/cb/1", resolver=public)

    async def test_allowed_name_resolving_inside_is_refused(self) -> None:
        """An allowed name that resolves to a private address (DNS rebinding) is refused."""
        with pytest.raises(CallbackRefused, match="non-public"):
            await check_callback_url(
                partner("scsp.example.com"), "https://scsp.example.com/r", resolving_to("10.1.2.3")
            )

    async def test_unresolvable_name_is_its_own_error(self) -> None:
        """A name that resolves to nothing raises CallbackHostUnresolved (delivery retries those)."""
        with pytest.raises(CallbackHostUnresolved):
            await check_callback_url(
                partner("scsp.example.com"), "https://scsp.example.com/r", resolving_to()
            )


def scs(**extra: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "SCS",
        "token": SCSP_TOKEN,
        "their_token": GATEWAY_TOKEN,
        "response_url_hosts": ["127.0.0.1"],
        **extra,
    }


class TestSteeringRefuses:
    @pytest.mark.parametrize(
        ("party", "url"),
        [
            (scs(allow_private_callbacks=True), "http://evil.example.com/r"),
            (scs(), "http://127.0.0.1:1/r"),
            (scs(response_url_hosts=["169.254.169.254"]), "http://169.254.169.254/latest"),
        ],
        ids=["disallowed-host", "private-ip", "metadata-ip"],
    )
    async def test_put_answers_rejected_and_station_is_not_called(
        self,
        gateway_factory: GatewayFactory,
        station_factory: StationFactory,
        party: dict[str, Any],
        url: str,
    ) -> None:
        """A refused response_url answers REJECTED synchronously; nothing reaches the station."""
        gateway = await gateway_factory(ocpi={"parties": [party]})
        station = await station_factory(gateway)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(gateway, session_id)
        answer = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert answer.json()["data"] == {"result": "REJECTED", "timeout": 0}
        assert [a for a, _ in station.received if a == "SetChargingProfile"] == []


@pytest.fixture
def settings() -> Settings:
    return settings_from_mapping(
        {"delivery": {"backoff_initial": 0.01, "backoff_max": 0.02, "request_timeout": 2}}
    )


DeliveryFactory = Callable[..., ResultDelivery]


@pytest.fixture
async def make_delivery(settings: Settings) -> AsyncIterator[DeliveryFactory]:
    """ResultDelivery objects on ``settings``, their HTTP sessions closed after the test."""
    made: list[ResultDelivery] = []

    def make(**guards: Any) -> ResultDelivery:
        made.append(ResultDelivery(settings, **guards))
        return made[-1]

    yield make
    for delivery in made:
        await delivery.close()


async def serve(handlers: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]) -> web.AppRunner:
    """A real aiohttp server on a free loopback port with ``path -> handler`` routes."""
    app = web.Application()
    for path, handler in handlers.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", free_port()).start()
    return runner


def base(runner: web.AppRunner) -> str:
    return f"http://127.0.0.1:{runner.addresses[0][1]}"


async def post(delivery: ResultDelivery, party: PartyRecord, url: str) -> bool:
    return await delivery.post_result(
        party, url, {"result": "ACCEPTED"}, correlation_id="c-1", deadline=time.time() + 3
    )


class TestDelivery:
    async def test_guard_refuses_private_address_before_posting(
        self, make_delivery: DeliveryFactory, mock_scsp: MockScsp
    ) -> None:
        """The delivery guard refuses a loopback callback for a partner without private callbacks: no POST."""
        delivery = make_delivery(guard=check_callback_url)
        assert await post(delivery, partner("127.0.0.1"), mock_scsp.result_url("x")) is False
        assert mock_scsp.received == []
        assert await post(delivery, partner("127.0.0.1", private=True), mock_scsp.result_url("y")) is True

    async def test_guard_runs_before_every_attempt(self, make_delivery: DeliveryFactory) -> None:
        """DNS changing between attempts is caught: the second attempt's check refuses, no more POSTs."""
        hits: list[str] = []

        async def failing(request: web.Request) -> web.Response:
            hits.append(request.path)
            return web.Response(status=503)

        runner = await serve({"/r": failing})
        answers = iter([["93.184.216.34"], ["10.0.0.1"]])

        async def changing(host: str, port: int) -> list[str]:
            return next(answers)

        try:
            guard = partial(check_callback_url, resolver=changing)
            delivery = make_delivery(guard=guard)
            assert await post(delivery, partner("127.0.0.1"), base(runner) + "/r") is False
            assert hits == ["/r"]
        finally:
            await runner.cleanup()

    async def test_redirect_is_not_followed(self, make_delivery: DeliveryFactory) -> None:
        """A 307 to another server is the sender's final word: not followed, not retried."""
        landed: list[str] = []

        async def landing(request: web.Request) -> web.Response:
            landed.append(request.path)
            return web.json_response({"status_code": 1000})

        target = await serve({"/landing": landing})

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(base(target) + "/landing")

        source = await serve({"/r": redirect})
        try:
            delivery = make_delivery(guard=check_callback_url)
            assert await post(delivery, partner("127.0.0.1", private=True), base(source) + "/r") is False
            assert landed == []
        finally:
            await source.cleanup()
            await target.cleanup()

    async def test_endless_answer_is_read_only_up_to_the_limit(self, make_delivery: DeliveryFactory) -> None:
        """A callback answering an endless body is delivered; the gateway stops reading at the limit."""

        async def endless(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse()
            await response.prepare(request)
            chunk = b"x" * 65536
            try:
                while True:
                    await response.write(chunk)
                    await asyncio.sleep(0)
            except (ConnectionError, asyncio.CancelledError):
                return response

        runner = await serve({"/r": endless})
        try:
            delivery = make_delivery(guard=check_callback_url)
            assert await post(delivery, partner("127.0.0.1", private=True), base(runner) + "/r") is True
        finally:
            await runner.cleanup()
