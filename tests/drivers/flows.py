"""Helpers shared by the driver tests: register a session the way a CSMS deployment does."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_TOKEN, Gateway


async def register_session(
    gateway: Gateway, session_id: str, station_id: str, *, connector_id: int = 1, transaction_id: str = "tx-1"
) -> None:
    """``PUT /admin/sessions/{id}``: the gateway did not see this session start (an external CSMS ran it)."""
    async with httpx.AsyncClient() as client:
        response = await client.put(
            f"{gateway.base_url}/admin/sessions/{session_id}",
            json={"station_id": station_id, "connector_id": connector_id, "transaction_id": transaction_id},
            headers={"Authorization": f"Token {ADMIN_TOKEN}"},
        )
    assert response.status_code == 201, response.text
