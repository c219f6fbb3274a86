"""Counterparts for the remote drivers: a mock CSMS REST server and a smart-charging service on MQTT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ocpi_gateway.cli.demo import free_port
from tests.drivers.bus_responder import SmartChargingResponder
from tests.drivers.mock_csms import MockCsms
from tests.mqtt_support import DEFAULT_URL, MosquittoServer, answers, mosquitto_binary, require_or_skip


@pytest.fixture(scope="session")
def mqtt_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An MQTT broker URL that answers (see ``tests/mqtt_support.py``)."""
    import os

    url = os.environ.get("OCPI_GATEWAY_TEST_MQTT_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    if mosquitto_binary() is None:
        require_or_skip(f"no MQTT broker answers at {url} and no mosquitto binary")
    server = MosquittoServer(free_port(), tmp_path_factory.mktemp("mosquitto"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
async def mock_csms() -> AsyncIterator[MockCsms]:
    csms = MockCsms()
    await csms.start()
    yield csms
    await csms.stop()


@pytest.fixture
def bus_settings(mqtt_url: str) -> dict[str, Any]:
    """The ``[ocpp.bus]`` section for one test: its own topics on the shared broker."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    return {
        "url": mqtt_url,
        "request_topic": f"{prefix}/ocpp/smart_charging",
        "response_topic": f"{prefix}/smart_charging/ocpp",
        "evses": [
            {"station_id": "CS-BUS", "evse_id": 1, "bus_evse_id": "GB*SEV*E123456789"},
            {"station_id": "CS-BUS", "evse_id": 0, "bus_evse_id": "GB*SEV*E123456780"},
        ],
    }


@pytest.fixture
async def responder(bus_settings: dict[str, Any]) -> AsyncIterator[SmartChargingResponder]:
    service = SmartChargingResponder(
        bus_settings["url"], bus_settings["request_topic"], bus_settings["response_topic"]
    )
    await service.start()
    yield service
    await service.stop()
