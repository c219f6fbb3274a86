"""GET /ocpi/2.2.1/sessions: the Sessions module's paginated pull, over the real gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SCSP_TOKEN, Gateway
from tests.e2e.helpers import ocpi_headers
from tests.push.support import admin

SINCE = "2000-01-01T00:00:00Z"


async def register(gateway: Gateway, session_id: str, **extra: Any) -> None:
    body = {"station_id": "CS-9", "connector_id": 1, "transaction_id": session_id, **extra}
    assert (await admin(gateway, "PUT", f"/admin/sessions/{session_id}", body)).status_code == 201


async def pull(url: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, params=params or None, headers=ocpi_headers(SCSP_TOKEN))


def ids(response: httpx.Response) -> list[str]:
    return [s["id"] for s in response.json()["data"]]


class TestPagination:
    async def test_pages_follow_the_link_header(self, gateway: Gateway) -> None:
        """limit=2 over 3 sessions: two, then one; X-Total-Count, X-Limit and Link say so."""
        for session_id in ("S1", "S2", "S3"):
            await register(gateway, session_id)
        first = await pull(f"{gateway.base_url}/ocpi/2.2.1/sessions", date_from=SINCE, limit=2)
        assert first.status_code == 200
        assert ids(first) == ["S1", "S2"]
        assert (first.headers["X-Total-Count"], first.headers["X-Limit"]) == ("3", "2")
        link = first.headers["Link"]
        assert link.endswith('>; rel="next"')
        second = await pull(link[1 : link.index(">")])
        assert ids(second) == ["S3"]
        assert "Link" not in second.headers
        assert second.headers["X-Total-Count"] == "3"

    async def test_limit_is_capped(self, gateway: Gateway) -> None:
        """A limit above the server's maximum is answered with the maximum in X-Limit."""
        await register(gateway, "S1")
        response = await pull(f"{gateway.base_url}/ocpi/2.2.1/sessions", date_from=SINCE, limit=5000)
        assert response.headers["X-Limit"] == "100"

    async def test_dates_filter_on_last_updated(self, gateway: Gateway) -> None:
        """date_to is exclusive and date_from inclusive: a window before every change is empty."""
        await register(gateway, "S1")
        url = f"{gateway.base_url}/ocpi/2.2.1/sessions"
        before = await pull(url, date_from=SINCE, date_to="2001-01-01T00:00:00Z")
        assert ids(before) == []
        assert before.headers["X-Total-Count"] == "0"
        assert ids(await pull(url, date_from="2999-01-01T00:00:00Z")) == []
        assert ids(await pull(url, date_from=SINCE, date_to="2999-01-01T00:00:00Z")) == ["S1"]

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"date_from": "yesterday"},
            {"date_from": SINCE, "offset": "-1"},
            {"date_from": SINCE, "limit": "0"},
        ],
    )
    async def test_bad_parameters_are_2001(self, gateway: Gateway, params: dict[str, str]) -> None:
        """date_from is required; dates, offset and limit must be valid: OCPI 2001."""
        response = await pull(f"{gateway.base_url}/ocpi/2.2.1/sessions", **params)
        assert response.json()["status_code"] == 2001


class TestContent:
    async def test_only_sessions_the_caller_may_steer_are_listed(self, gateway: Gateway) -> None:
        """A session registered for another partner is not in NL*SCS's list."""
        await register(gateway, "MINE")
        await register(gateway, "THEIRS", owner="NL*JDX")
        response = await pull(f"{gateway.base_url}/ocpi/2.2.1/sessions", date_from=SINCE)
        assert ids(response) == ["MINE"]

    async def test_answer_is_a_session_object_with_routing_headers(self, gateway: Gateway) -> None:
        """Each item is an OCPI Session; the answer is addressed from us to the caller."""
        await register(gateway, "S1", emsp="NL*EMP")
        response = await pull(f"{gateway.base_url}/ocpi/2.2.1/sessions", date_from=SINCE)
        (session,) = response.json()["data"]
        assert session["status"] == "ACTIVE"
        assert (session["cdr_token"]["country_code"], session["cdr_token"]["party_id"]) == ("NL", "EMP")
        assert (session["location_id"], session["evse_uid"], session["connector_id"]) == (
            "CS-9",
            "CS-9-1",
            "1",
        )
        assert response.headers["OCPI-to-party-id"] == "SCS"
        assert response.headers["OCPI-from-party-id"] == "GWY"
