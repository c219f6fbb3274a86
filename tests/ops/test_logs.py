"""Traceable logs: one flow's lines share its ids, secrets never reach a line, JSON in production."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import LogCapture

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.logs import REDACTED, configure_logging, redact
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, Gateway, StationFactory
from tests.ops.support import SECRET_QUERY, steer


@pytest.fixture
def captured() -> Iterator[LogCapture]:
    """Every event as the production chain sees it: context merged, then redacted."""
    saved = structlog.get_config()
    capture = LogCapture()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, redact, capture],
        cache_logger_on_first_use=False,
    )
    yield capture
    structlog.configure(**saved)


class TestRedact:
    @pytest.mark.parametrize("key", ["token", "their_token", "Authorization", "password"])
    def test_token_like_keys_are_hidden(self, key: str) -> None:
        """A value under a token-like key never reaches the line."""
        assert redact(None, "info", {key: "s3cret"})[key] == REDACTED

    def test_url_query_is_cut(self) -> None:
        """A URL keeps scheme, host and path; its query string is replaced."""
        event = redact(None, "info", {"url": "https://scsp.example/cb/1?sig=abc&x=1", "n": 3})
        assert event == {"url": f"https://scsp.example/cb/1?{REDACTED}", "n": 3}

    def test_url_inside_text_is_cut(self) -> None:
        """An error text quoting a URL loses the URL's query too."""
        event = redact(None, "info", {"error": "failed: POST http://h:1/p?token=t (refused)"})
        assert event["error"] == f"failed: POST http://h:1/p?{REDACTED} (refused)"


def test_json_format_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    """log.format = json renders each event as one JSON object with level, timestamp and context."""
    saved = structlog.get_config()
    try:
        configure_logging("json", "info")
        structlog.configure(cache_logger_on_first_use=False)
        with structlog.contextvars.bound_contextvars(request_id="r-1"):
            structlog.get_logger("t").info("something_happened", response_url="http://h/p?sig=1")
    finally:
        structlog.configure(**saved)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["event"] == "something_happened"
    assert event["request_id"] == "r-1"
    assert event["level"] == "info"
    assert event["response_url"] == f"http://h/p?{REDACTED}"


async def delivered_logged(captured: LogCapture, correlation_id: str | None = None) -> None:
    """The SCSP has the result a moment before the gateway logs that it was delivered.

    ``correlation_id``: that flow's delivery (the partner's Session pushes are callbacks too).
    """
    for _ in range(100):
        if any(
            e["event"] == "callback_delivered" and correlation_id in (None, e.get("correlation_id"))
            for e in captured.entries
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("callback_delivered never logged")


def _flow(entries: list[dict[str, Any]], correlation_id: str) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("correlation_id") == correlation_id]


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_put_flow_lines_carry_its_ids(
    captured: LogCapture,
    gateway: Gateway,
    station_factory: StationFactory,
    mock_scsp: MockScsp,
    protocol: str,
) -> None:
    """Every line of a PUT, edge to callback, names request, correlation, party, session and station."""
    steered = await steer(gateway, station_factory, mock_scsp, protocol=protocol)
    await delivered_logged(captured, steered.headers["X-Correlation-ID"])
    flow = _flow(captured.entries, steered.headers["X-Correlation-ID"])
    events = [e["event"] for e in flow]
    for expected in ("chargingprofiles_answered", "station_answer", "callback_delivered"):
        assert expected in events
    for entry in flow:
        assert entry["request_id"] == steered.headers["X-Request-ID"], entry
        assert entry["party"] == "NL*SCS", entry
        assert entry["session_id"] == steered.session_id, entry
        assert entry["station_id"] == "CS-OPS", entry
    after_call = flow[events.index("station_answer") :]
    message_ids = {e.get("ocpp_message_id") for e in after_call}
    assert len(message_ids) == 1
    assert None not in message_ids


async def test_no_line_shows_tokens_or_callback_query(
    captured: LogCapture, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
) -> None:
    """Across a whole flow no line contains a token or the response_url's query string."""
    await steer(gateway, station_factory, mock_scsp)
    await delivered_logged(captured)
    text = json.dumps(captured.entries, default=str)
    for secret in (SCSP_TOKEN, GATEWAY_TOKEN, SECRET_QUERY):
        assert secret not in text


async def test_station_message_lines_carry_its_message_id(
    captured: LogCapture, gateway: Gateway, station_factory: StationFactory
) -> None:
    """A station's own CALL (BootNotification) is logged with its OCPP message id."""
    await station_factory(gateway, "CS-BOOT")
    [booted] = [e for e in captured.entries if e["event"] == "station_booted"]
    assert booted["station_id"] == "CS-BOOT"
    assert booted["ocpp_message_id"]
