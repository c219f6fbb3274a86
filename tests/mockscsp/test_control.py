"""The mock SCSP as a process a tester drives: /_send/... makes it call the gateway."""

from __future__ import annotations

import httpx

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A
from tests.e2e.test_flows import result_at, started


class TestSendControl:
    async def test_put_get_delete_through_the_control_endpoints(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """POST /_send/put|get|delete reach the gateway; each result comes back to the mock's own URL."""
        _station, session_id = await started(station_factory, gateway, "ocpp1.6")
        mock_scsp.gateway_url = gateway.base_url
        async with httpx.AsyncClient() as client:
            for method, extra in (
                ("put", {"profile": PROFILE_A}),
                ("get", {"duration": 600}),
                ("delete", {}),
            ):
                resp = await client.post(
                    f"{mock_scsp.base_url}/_send/{method}", json={"session_id": session_id, **extra}
                )
                body = resp.json()
                assert resp.status_code == 200
                assert body["answer"]["data"]["result"] == "ACCEPTED"
                received = await result_at(mock_scsp, body["response_url"])
                assert received.body["result"] == "ACCEPTED"

    async def test_missing_session_id_is_a_clear_400(self, mock_scsp: MockScsp) -> None:
        """A control call without session_id says what is missing and sends nothing."""
        async with httpx.AsyncClient() as client:
            resp = await client.post(f"{mock_scsp.base_url}/_send/put", json={})
        assert resp.status_code == 400
        assert "session_id" in resp.json()["error"]
