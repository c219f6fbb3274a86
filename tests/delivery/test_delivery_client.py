"""Result delivery to the SCSP's response_url: headers, retries, refusals, the deadline.

The SCSP is a real aiohttp server on loopback whose answers each test scripts (a status, a
dropped connection, a slow answer); the HTTP client and the retry loop are the real ones.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog
import trustme
from aiohttp import web

from ocpi_gateway.config import Settings, settings_from_mapping
from ocpi_gateway.delivery.client import ResultDelivery, safe_url
from ocpi_gateway.partners.parties import Party, encode_token
from tests.conftest import free_port

PATH = "/results/42"
THEIR_TOKEN = "token-b-for-us"
BODY = {"result": "ACCEPTED"}
OK = {"status_code": 1000, "timestamp": "2024-05-01T12:00:00Z"}
DROP = "drop"  # close the connection without answering
SLOW = "slow"  # answer after the client's time limit


@dataclass
class Seen:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedScsp:
    """Answers each request with the next scripted answer (then 200 with ``OK``), recording it."""

    url: str = ""
    script: list[Any] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def hits(self, path: str = PATH) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(time.time(), request.path, dict(request.headers), await request.read()))
        answer = self.script.pop(0) if self.script else 200
        if answer == DROP:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if answer == SLOW:
            await asyncio.sleep(2)
            return web.json_response(OK)
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(OK, status=answer)


def make_party(their_token: str | None = THEIR_TOKEN) -> Party:
    return Party(
        country_code="NL",
        party_id="SCS",
        role="SCSP",
        token_digest=None,
        their_token=their_token,
        versions_url=None,
        response_url_hosts=frozenset(),
    )


@pytest.fixture(name="settings")
def fixture_settings() -> Settings:
    return settings_from_mapping(
        {
            "ocpi": {"country_code": "NL", "party_id": "GWY"},
            "delivery": {"backoff_initial": 0.01, "backoff_max": 0.04, "request_timeout": 0.5},
        }
    )


@pytest.fixture(name="delivery")
async def fixture_delivery(settings: Settings) -> AsyncIterator[ResultDelivery]:
    delivery = ResultDelivery(settings)
    yield delivery
    await delivery.close()


@pytest.fixture(name="scsp")
async def fixture_scsp() -> AsyncIterator[ScriptedScsp]:
    scsp = ScriptedScsp()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", scsp.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    scsp.url = f"http://127.0.0.1:{port}{PATH}?secret=abc"
    yield scsp
    await runner.cleanup()


async def post(
    delivery: ResultDelivery, scsp: ScriptedScsp, deadline_in: float = 5.0, party: Party | None = None
) -> bool:
    return await delivery.post_result(
        party or make_party(),
        scsp.url,
        BODY,
        correlation_id="corr-1",
        deadline=time.time() + deadline_in,
        request_id="req-origin",
    )


class TestOutcomes:
    async def test_success_first_time(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """A 200 on the first POST delivers with one attempt and the exact body."""
        assert await post(delivery, scsp) is True
        assert len(scsp.hits()) == 1
        assert scsp.hits()[0].body == b'{"result": "ACCEPTED"}'

    async def test_two_500s_then_success(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """Two 5xx answers are retried; the third attempt delivers, and nothing is sent after it."""
        scsp.script = [500, 503, 200]
        assert await post(delivery, scsp) is True
        assert len(scsp.hits()) == 3

    @pytest.mark.parametrize("status", [400, 401, 404])
    async def test_4xx_is_not_retried(
        self, delivery: ResultDelivery, scsp: ScriptedScsp, status: int
    ) -> None:
        """A 4xx is the SCSP's final word: one attempt, not delivered."""
        scsp.script = [status]
        assert await post(delivery, scsp) is False
        assert len(scsp.hits()) == 1

    async def test_redirect_is_not_followed(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """A 3xx ends delivery; the result never goes to the Location path."""
        scsp.script = [web.Response(status=307, headers={"Location": "/elsewhere"})]
        assert await post(delivery, scsp) is False
        assert (len(scsp.hits()), len(scsp.hits("/elsewhere"))) == (1, 0)

    async def test_network_error_is_retried(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """A dropped connection and a timeout are retried until the POST gets through."""
        scsp.script = [DROP, SLOW, 200]
        with structlog.testing.capture_logs() as logs:
            assert await post(delivery, scsp) is True
        assert len(scsp.hits()) == 3
        reasons = [e["reason"] for e in logs if e["event"] == "callback_retry"]
        assert reasons[1] == "timeout"
        assert len(reasons) == 2

    async def test_refused_connection_is_retried_until_the_deadline(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """Nothing listening: every attempt fails below HTTP, and delivery gives up at the deadline."""
        closed = f"http://127.0.0.1:{free_port()}/r"
        with structlog.testing.capture_logs() as logs:
            ok = await delivery.post_result(
                make_party(), closed, BODY, correlation_id="c", deadline=time.time() + 0.3
            )
        assert ok is False
        assert len([e for e in logs if e["event"] == "callback_retry"]) >= 1
        assert [e["event"] for e in logs][-1] == "callback_failed"

    async def test_deadline_is_respected(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """With the SCSP failing, attempts stop at the deadline: none starts after it."""
        scsp.script = [500] * 1000
        deadline = time.time() + 0.2
        ok = await delivery.post_result(make_party(), scsp.url, BODY, correlation_id="c", deadline=deadline)
        assert ok is False
        started = [s.at for s in scsp.hits()]
        assert len(started) >= 2
        assert max(started) < deadline

    async def test_past_deadline_sends_nothing(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """A deadline already passed means no attempt at all."""
        assert await post(delivery, scsp, deadline_in=-1) is False
        assert scsp.seen == []

    async def test_ocpi_error_body_still_counts_as_delivered(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """HTTP 200 with an OCPI error status is delivered (logged, not retried)."""
        scsp.script = [web.json_response({"status_code": 2001, "timestamp": "2024-05-01T12:00:00Z"})]
        with structlog.testing.capture_logs() as logs:
            assert await post(delivery, scsp) is True
        assert len(scsp.hits()) == 1
        assert [e.get("ocpi_status") for e in logs if e["event"] == "callback_delivered"] == [2001]

    async def test_large_answer_is_read_only_up_to_the_limit(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """An answer far above max_response_bytes does not stop delivery."""
        scsp.script = [web.Response(body=b"x" * 1_000_000)]
        assert await post(delivery, scsp) is True

    async def test_party_without_token_is_not_called(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """Without a token to authenticate with, nothing is sent."""
        assert await post(delivery, scsp, party=make_party(their_token=None)) is False
        assert scsp.seen == []

    @pytest.mark.parametrize("url", ["ftp://scsp.example.com/r", "http://[not-an-address/r"])
    async def test_unusable_url_is_not_retried(self, delivery: ResultDelivery, url: str) -> None:
        """A URL no retry can fix (unsupported scheme, malformed) fails at once."""
        with structlog.testing.capture_logs() as logs:
            ok = await delivery.post_result(
                make_party(), url, BODY, correlation_id="c", deadline=time.time() + 5
            )
        assert ok is False
        assert [e["event"] for e in logs] == ["callback_failed"]


class TestHeaders:
    async def test_headers(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """Token (Base64), JSON type, correlation id, fresh request id, routing from us to them."""
        await post(delivery, scsp)
        headers = scsp.hits()[0].headers
        assert headers["Authorization"] == encode_token(THEIR_TOKEN)
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Correlation-ID"] == "corr-1"
        assert headers["X-Request-ID"] not in ("", "req-origin")
        assert {k: headers[k] for k in ROUTING} == {
            "OCPI-from-country-code": "NL",
            "OCPI-from-party-id": "GWY",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "SCS",
        }
        assert "Cookie" not in headers

    async def test_each_attempt_has_its_own_request_id(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """A retry is a new request: a new X-Request-ID, the same X-Correlation-ID."""
        scsp.script = [502, 200]
        await post(delivery, scsp)
        first, second = (seen.headers for seen in scsp.hits())
        assert first["X-Request-ID"] != second["X-Request-ID"]
        assert first["X-Correlation-ID"] == second["X-Correlation-ID"] == "corr-1"

    async def test_cookies_are_not_kept_between_partners(
        self, delivery: ResultDelivery, scsp: ScriptedScsp
    ) -> None:
        """A Set-Cookie from one answer is never sent back (partners must not see each other's state)."""
        answer = web.json_response(OK)
        answer.set_cookie("sid", "partner-a")
        scsp.script = [answer, 200]
        await post(delivery, scsp)
        await post(delivery, scsp)
        assert "Cookie" not in scsp.hits()[1].headers


class TestLogs:
    async def test_logs_hide_token_and_query(self, delivery: ResultDelivery, scsp: ScriptedScsp) -> None:
        """Retry and success events name the URL without its query string and never the token."""
        scsp.script = [500, 200]
        with structlog.testing.capture_logs() as logs:
            await post(delivery, scsp)
        assert [e["event"] for e in logs] == ["callback_retry", "callback_delivered"]
        assert [e["attempt"] for e in logs] == [1, 2]
        assert all(e["url"] == scsp.url.split("?")[0] for e in logs)
        assert "secret" not in repr(logs)
        assert THEIR_TOKEN not in repr(logs)
        assert encode_token(THEIR_TOKEN) not in repr(logs)

    def test_safe_url_drops_user_info_query_and_fragment(self) -> None:
        """User info, query and fragment never reach a log line."""
        assert safe_url("https://u:p@h.example:8443/a/b?x=1#f") == "https://h.example:8443/a/b"
        assert safe_url("https://h.example:port/") == "(invalid url)"


ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")


class TestTls:
    async def test_a_certificate_from_an_unknown_authority_is_refused(self, settings: Settings) -> None:
        """HTTPS to a partner whose certificate no known CA signed: nothing is sent, not delivered."""
        authority = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server_context)
        scsp = ScriptedScsp()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", scsp.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_context).start()
        delivery = ResultDelivery(settings)
        try:
            with structlog.testing.capture_logs() as logs:
                ok = await delivery.post_result(
                    make_party(),
                    f"https://127.0.0.1:{port}/r",
                    BODY,
                    correlation_id="c",
                    deadline=time.time() + 0.3,
                )
        finally:
            await delivery.close()
            await runner.cleanup()
        assert ok is False
        assert scsp.seen == []
        assert any("Certificate" in str(e.get("reason", "")) for e in logs), logs
