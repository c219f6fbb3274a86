"""``DirectLink.call``: every outcome of an OCPP call maps to an answer or one StationError."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from ocpp.v16 import call

from ocpi_gateway.errors import StationCallError, StationDisconnected, StationOffline, StationTimeout
from ocpi_gateway.stations.driver import StationLink

from .conftest import WAIT, Endpoint, Station, StationFactory, eventually

CLEAR = call.ClearChargingProfile(id=1001)


async def connected(endpoint: Endpoint, station: StationFactory, **modes: str) -> tuple[Station, StationLink]:
    sim = await station("CP1", modes=modes)
    return sim, await endpoint.next_connected()


async def test_answer_is_the_call_result(endpoint: Endpoint, station: StationFactory) -> None:
    """A station's CALLRESULT comes back as the package's call_result dataclass."""
    sim, link = await connected(endpoint, station)
    answer = await link.call(CLEAR, timeout=WAIT)
    assert answer.status == "Accepted"
    assert sim.received[-1] == "ClearChargingProfile"


async def test_call_error_raises_station_call_error(endpoint: Endpoint, station: StationFactory) -> None:
    """A CALLERROR answer raises StationCallError carrying the OCPP code and description."""
    _, link = await connected(endpoint, station, ClearChargingProfile="error")
    with pytest.raises(StationCallError) as caught:
        await link.call(CLEAR, timeout=WAIT)
    assert (caught.value.code, caught.value.description) == ("NotSupported", "not here")


async def test_silence_raises_station_timeout(endpoint: Endpoint, station: StationFactory) -> None:
    """No answer within the timeout raises StationTimeout."""
    _, link = await connected(endpoint, station, ClearChargingProfile="silent")
    with pytest.raises(StationTimeout):
        await link.call(CLEAR, timeout=0.2)


async def test_waiting_for_the_previous_call_counts_against_the_timeout(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """A call queued behind an unanswered one times out on its own deadline."""
    _, link = await connected(endpoint, station, ClearChargingProfile="silent")
    first = asyncio.create_task(link.call(CLEAR, timeout=WAIT))
    with pytest.raises(StationTimeout):
        await link.call(call.ClearChargingProfile(id=1002), timeout=0.2)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_disconnect_mid_call_fails_at_once(endpoint: Endpoint, station: StationFactory) -> None:
    """The station dropping its socket during a call raises StationDisconnected, not a timeout."""
    _, link = await connected(endpoint, station, ClearChargingProfile="drop")
    with pytest.raises(StationDisconnected):
        async with asyncio.timeout(WAIT):
            await link.call(CLEAR, timeout=60)


async def test_queued_calls_fail_too_when_the_socket_drops(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """Calls waiting their turn also raise StationDisconnected when the link drops."""
    _, link = await connected(endpoint, station, ClearChargingProfile="drop")
    async with asyncio.timeout(WAIT):
        results = await asyncio.gather(
            link.call(CLEAR, timeout=60), link.call(CLEAR, timeout=60), return_exceptions=True
        )
    assert [type(r) for r in results] == [StationDisconnected, StationDisconnected]


async def test_closed_link_raises_station_offline(endpoint: Endpoint, station: StationFactory) -> None:
    """Calling a link whose station already left raises StationOffline."""
    sim, link = await connected(endpoint, station)
    await sim.ws.close()
    await eventually(lambda: endpoint.directory.get("CP1") is None)
    with pytest.raises(StationOffline):
        await link.call(CLEAR, timeout=WAIT)


async def test_invalid_payload_is_refused_by_the_station(endpoint: Endpoint, station: StationFactory) -> None:
    """The gateway does not re-check payloads it built (tests/translate checks them against the
    schemas); one that breaks the schema anyway is refused by the station: StationCallError."""
    sim, link = await connected(endpoint, station)
    with pytest.raises(StationCallError) as caught:
        await link.call(call.ClearChargingProfile(charging_profile_purpose="Nonsense"), timeout=WAIT)
    assert caught.value.code in {"FormationViolation", "FormatViolation", "PropertyConstraintViolation"}
    assert "ClearChargingProfile" not in sim.received  # the station's package refused it before its handler


async def test_answer_breaking_the_schema_is_a_call_error(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """A CALLRESULT outside the schema is not handed on as an answer: StationCallError, logged."""
    sim, link = await connected(endpoint, station)
    with structlog.testing.capture_logs() as logs, pytest.raises(StationCallError):
        await link.call(call.TriggerMessage(requested_message="Heartbeat"), timeout=WAIT)
    assert sim.received[-1] == "TriggerMessage"
    assert [e["action"] for e in logs if e["event"] == "ocpp_result_invalid"] == ["TriggerMessage"]
    answer = await link.call(CLEAR, timeout=WAIT)  # the link goes on working
    assert answer.status == "Accepted"
