"""Fuzzing the live OCPP endpoint: random frames must never hurt the gateway or other stations.

Hypothesis throws batches of frames at one socket: garbage text, arbitrary JSON, and
OCPP-J-shaped arrays with real and invented actions, real and invented message types and
random payloads (also for real actions, so handlers see schema-valid oddities). After each
batch the gateway must answer ``/health``, a second, well-behaved station must boot and
heartbeat, and nothing may have been logged at error level (an exception that escaped a
handler or the receive loop). The run is bounded by ``max_examples``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201
from structlog.testing import capture_logs

from tests.conftest import Gateway, GatewayFactory

from .conftest import RawConnect, healthy

ACTIONS = sorted({a.value for a in Action16} | {a.value for a in Action201})
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "connectorId",
        "status",
        "errorCode",
        "idTag",
        "transactionId",
        "meterStart",
        "timestamp",
        "evse",
        "chargingStation",
        "reason",
        "eventType",
        "seqNo",
        "triggerReason",
        "transactionInfo",
        "meterValue",
    ]
)
PAYLOADS = st.dictionaries(FIELDS | st.text(max_size=12), JSON, max_size=6)
IDS = st.text(min_size=1, max_size=40) | st.integers() | st.none()


def _frame(parts: list[Any]) -> str:
    return json.dumps(parts)


OCPP_LIKE = st.one_of(
    st.builds(
        lambda i, a, p: _frame([2, i, a, p]), IDS, st.sampled_from(ACTIONS) | st.text(max_size=30), PAYLOADS
    ),
    st.builds(lambda i, p: _frame([3, i, p]), IDS, PAYLOADS | JSON),
    st.builds(
        lambda i, c, d, x: _frame([4, i, c, d, x]), IDS, st.text(max_size=30), st.text(max_size=30), JSON
    ),
    st.builds(lambda t, rest: _frame([t, *rest]), st.integers(-3, 9), st.lists(JSON, max_size=4)),
)
FRAMES = st.one_of(OCPP_LIKE, st.text(max_size=200), JSON.map(json.dumps))

PROTOCOLS = st.sampled_from(["ocpp1.6", "ocpp2.0.1"])


@pytest.fixture
async def fuzzed(gateway_factory: GatewayFactory) -> Gateway:
    """One gateway for the whole run (the fixture is set up once for all examples)."""
    return await gateway_factory(ocpp={"max_messages_per_second": 10_000, "message_burst": 10_000})


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(protocol=PROTOCOLS, frames=st.lists(FRAMES, min_size=1, max_size=25))
async def test_random_frames_never_hurt_the_gateway(
    fuzzed: Gateway, raw_connect: RawConnect, protocol: str, frames: list[str]
) -> None:
    """After every batch of random frames the gateway is healthy and a good station still boots."""
    with capture_logs() as logs:
        ws = await raw_connect(fuzzed, "FUZZ", protocol=protocol)
        try:
            for frame in frames:
                if ws.closed:
                    break
                await ws.send_str(frame)
            await healthy(fuzzed, raw_connect)
        finally:
            await ws.close()
    errors = [entry for entry in logs if entry["log_level"] in ("error", "critical")]
    assert errors == []
