"""Result delivery to the SCSP's response_url: headers, retries, refusals, the deadline.

The SCSP is the only thing mocked (respx); the httpx client and the retry loop are real.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx
import structlog

from ocpi_gateway.config import Settings, settings_from_mapping
from ocpi_gateway.delivery.client import ResultDelivery, safe_url
from ocpi_gateway.parties import Party, encode_token

URL = "https://scsp.example.com/results/42?secret=abc"
THEIR_TOKEN = "token-b-for-us"
BODY = {"result": "ACCEPTED"}
OK = {"status_code": 1000, "timestamp": "2024-05-01T12:00:00Z"}


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
            "delivery": {"backoff_initial": 0.01, "backoff_max": 0.04, "request_timeout": 1},
        }
    )


@pytest.fixture(name="delivery")
async def fixture_delivery(settings: Settings) -> AsyncIterator[ResultDelivery]:
    async with httpx.AsyncClient() as client:
        yield ResultDelivery(client, settings)


@pytest.fixture(name="scsp")
def fixture_scsp() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def post(delivery: ResultDelivery, deadline_in: float = 5.0, party: Party | None = None) -> bool:
    return await delivery.post_result(
        party or make_party(),
        URL,
        BODY,
        correlation_id="corr-1",
        deadline=time.time() + deadline_in,
        request_id="req-origin",
    )


class TestOutcomes:
    async def test_success_first_time(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """A 200 on the first POST delivers with one attempt and the exact body."""
        route = scsp.post(URL).respond(200, json=OK)
        assert await post(delivery) is True
        assert route.call_count == 1
        assert route.calls.last.request.content == b'{"result": "ACCEPTED"}'

    async def test_two_500s_then_success(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """Two 5xx answers are retried; the third attempt delivers, and nothing is sent after it."""
        route = scsp.post(URL).mock(
            side_effect=[httpx.Response(500), httpx.Response(503), httpx.Response(200, json=OK)]
        )
        assert await post(delivery) is True
        assert route.call_count == 3

    @pytest.mark.parametrize("status", [400, 401, 404])
    async def test_4xx_is_not_retried(
        self, delivery: ResultDelivery, scsp: respx.MockRouter, status: int
    ) -> None:
        """A 4xx is the SCSP's final word: one attempt, not delivered."""
        route = scsp.post(URL).respond(status)
        assert await post(delivery) is False
        assert route.call_count == 1

    async def test_redirect_is_not_followed(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """A 3xx ends delivery; the result never goes to the Location host."""
        route = scsp.post(URL).respond(307, headers={"Location": "https://elsewhere.example/x"})
        elsewhere = scsp.post("https://elsewhere.example/x").respond(200)
        assert await post(delivery) is False
        assert (route.call_count, elsewhere.call_count) == (1, 0)

    async def test_network_error_is_retried(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """A connection error and a timeout are retried until the POST gets through."""
        route = scsp.post(URL).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200)]
        )
        assert await post(delivery) is True
        assert route.call_count == 3

    async def test_deadline_is_respected(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """With the SCSP failing, attempts stop at the deadline: none starts after it."""
        started: list[float] = []

        def failing(request: httpx.Request) -> httpx.Response:
            started.append(time.time())
            return httpx.Response(500)

        scsp.post(URL).mock(side_effect=failing)
        deadline = time.time() + 0.2
        ok = await delivery.post_result(make_party(), URL, BODY, correlation_id="c", deadline=deadline)
        assert ok is False
        assert len(started) >= 2
        assert max(started) < deadline

    async def test_past_deadline_sends_nothing(
        self, delivery: ResultDelivery, scsp: respx.MockRouter
    ) -> None:
        """A deadline already passed means no attempt at all."""
        route = scsp.post(URL).respond(200)
        assert await post(delivery, deadline_in=-1) is False
        assert route.call_count == 0

    async def test_ocpi_error_body_still_counts_as_delivered(
        self, delivery: ResultDelivery, scsp: respx.MockRouter
    ) -> None:
        """HTTP 200 with an OCPI error status is delivered (logged, not retried)."""
        route = scsp.post(URL).respond(200, json={"status_code": 2001, "timestamp": "2024-05-01T12:00:00Z"})
        with structlog.testing.capture_logs() as logs:
            assert await post(delivery) is True
        assert route.call_count == 1
        assert [e.get("ocpi_status") for e in logs if e["event"] == "callback_delivered"] == [2001]

    async def test_large_answer_is_read_only_up_to_the_limit(
        self, delivery: ResultDelivery, scsp: respx.MockRouter
    ) -> None:
        """An answer far above max_response_bytes does not stop delivery."""
        scsp.post(URL).respond(200, content=b"x" * 1_000_000)
        assert await post(delivery) is True

    async def test_party_without_token_is_not_called(
        self, delivery: ResultDelivery, scsp: respx.MockRouter
    ) -> None:
        """Without a token to authenticate with, nothing is sent."""
        route = scsp.post(URL).respond(200)
        assert await post(delivery, party=make_party(their_token=None)) is False
        assert route.call_count == 0

    async def test_unusable_url_is_not_retried(self, delivery: ResultDelivery) -> None:
        """A URL no retry can fix (unsupported scheme) fails at once."""
        with structlog.testing.capture_logs() as logs:
            ok = await delivery.post_result(
                make_party(), "ftp://scsp.example.com/r", BODY, correlation_id="c", deadline=time.time() + 5
            )
        assert ok is False
        assert [e["event"] for e in logs] == ["callback_failed"]


class TestHeaders:
    async def test_headers(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """Token (Base64), JSON type, correlation id, fresh request id, routing from us to them."""
        route = scsp.post(URL).respond(200)
        await post(delivery)
        headers = route.calls.last.request.headers
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

    async def test_each_attempt_has_its_own_request_id(
        self, delivery: ResultDelivery, scsp: respx.MockRouter
    ) -> None:
        """A retry is a new request: a new X-Request-ID, the same X-Correlation-ID."""
        route = scsp.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200)])
        await post(delivery)
        first, second = (call.request.headers for call in route.calls)
        assert first["X-Request-ID"] != second["X-Request-ID"]
        assert first["X-Correlation-ID"] == second["X-Correlation-ID"] == "corr-1"


class TestLogs:
    async def test_logs_hide_token_and_query(self, delivery: ResultDelivery, scsp: respx.MockRouter) -> None:
        """Retry and success events name the URL without its query string and never the token."""
        scsp.post(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
        with structlog.testing.capture_logs() as logs:
            await post(delivery)
        assert [e["event"] for e in logs] == ["callback_retry", "callback_delivered"]
        assert [e["attempt"] for e in logs] == [1, 2]
        assert all(e["url"] == "https://scsp.example.com/results/42" for e in logs)
        assert THEIR_TOKEN not in repr(logs)
        assert encode_token(THEIR_TOKEN) not in repr(logs)

    def test_safe_url_drops_user_info_query_and_fragment(self) -> None:
        """User info, query and fragment never reach a log line."""
        assert safe_url("https://u:p@h.example:8443/a/b?x=1#f") == "https://h.example:8443/a/b"
        assert safe_url("https://h.example:port/") == "(invalid url)"


ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")
