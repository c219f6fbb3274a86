"""The mock SCSP over a real socket: recording, failure injection, discovery, client calls."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from ocpi_gateway.cli.mockscsp import MockScsp

GATEWAY_TOKEN = "gw-token-b"


def auth(token: str = GATEWAY_TOKEN, *, raw: bool = False) -> dict[str, str]:
    value = token if raw else base64.b64encode(token.encode()).decode()
    return {"Authorization": f"Token {value}"}


@pytest.fixture
async def scsp() -> AsyncIterator[MockScsp]:
    mock = MockScsp(token=GATEWAY_TOKEN, our_token="scsp-token-c", quiet=True)
    await mock.start()
    yield mock
    await mock.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class TestRecording:
    async def test_records_a_result_post(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """A POST to a result URL is recorded whole and answered with a data-less 1000 envelope."""
        url = scsp.result_url("put-1")
        headers = auth() | {"X-Request-ID": "req-1", "X-Correlation-ID": "cor-1"}
        resp = await http.post(url + "?n=1", json={"result": "ACCEPTED"}, headers=headers)
        assert resp.status_code == 200
        body = resp.json()
        assert body["status_code"] == 1000
        assert "data" not in body
        assert resp.headers["X-Request-ID"] == "req-1"
        (item,) = scsp.received
        assert (item.method, item.path, item.query) == ("POST", "/results/put-1", {"n": "1"})
        assert item.body == {"result": "ACCEPTED"}
        assert item.headers["x-correlation-id"] == "cor-1"
        assert item.status == 200

    async def test_records_active_profile_put(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """An ActiveChargingProfile PUT on the chargingprofiles path is recorded and awaited."""
        active = {"start_date_time": "2024-05-01T12:00:00Z", "charging_profile": {"charging_rate_unit": "A"}}
        await http.put(f"{scsp.base_url}/ocpi/2.2.1/chargingprofiles/S-1", json=active, headers=auth())
        item = await scsp.wait_for(lambda r: r.method == "PUT", timeout=2)
        assert (item.path, item.body) == ("/ocpi/2.2.1/chargingprofiles/S-1", active)

    async def test_wrong_token_is_401_and_not_awaited(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """A message with the wrong token gets 401; wait_for does not return it."""
        resp = await http.post(scsp.result_url("x"), json={"result": "ACCEPTED"}, headers=auth("nope"))
        assert resp.status_code == 401
        assert [r.status for r in scsp.received] == [401]
        with pytest.raises(TimeoutError):
            await scsp.wait_for(lambda r: True, timeout=0.2)

    async def test_received_endpoint_lists_records(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """GET /_received returns the recorded messages as JSON."""
        await http.post(scsp.result_url("a"), json={"result": "REJECTED"}, headers=auth(raw=True))
        listing = (await http.get(f"{scsp.base_url}/_received")).json()
        assert [(r["method"], r["path"], r["body"], r["status"]) for r in listing] == [
            ("POST", "/results/a", {"result": "REJECTED"}, 200)
        ]

    async def test_received_since_lists_only_newer_records(
        self, scsp: MockScsp, http: httpx.AsyncClient
    ) -> None:
        """GET /_received?since=N skips the first N records (a poller reads only what is new)."""
        for name in ("a", "b", "c"):
            await http.post(scsp.result_url(name), json={"result": "ACCEPTED"}, headers=auth(raw=True))
        listing = (await http.get(f"{scsp.base_url}/_received", params={"since": 2})).json()
        assert [r["path"] for r in listing] == ["/results/c"]
        assert (await http.get(f"{scsp.base_url}/_received", params={"since": 9})).json() == []
        assert (await http.get(f"{scsp.base_url}/_received", params={"since": "x"})).status_code == 400


class TestFailureInjection:
    async def test_fail_next_then_records_the_later_post(
        self, scsp: MockScsp, http: httpx.AsyncClient
    ) -> None:
        """fail_next(1): the next POST gets 500, the one after is accepted and awaited."""
        scsp.fail_next(1)
        url = scsp.result_url("retry")
        first = await http.post(url, json={"result": "ACCEPTED"}, headers=auth())
        second = await http.post(url, json={"result": "ACCEPTED"}, headers=auth())
        assert (first.status_code, second.status_code) == (500, 200)
        delivered = await scsp.wait_for(lambda r: r.path == "/results/retry", timeout=2)
        assert delivered is scsp.received[1]
        assert [r.status for r in scsp.received] == [500, 200]

    async def test_drop_next_closes_the_connection(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """drop_next(1): the client sees a broken connection, the next POST works."""
        scsp.drop_next(1)
        with pytest.raises(httpx.TransportError):
            await http.post(scsp.result_url("drop"), json={"result": "ACCEPTED"}, headers=auth())
        ok = await http.post(scsp.result_url("drop"), json={"result": "ACCEPTED"}, headers=auth())
        assert ok.status_code == 200


class TestDiscovery:
    async def test_versions_with_token(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """GET /ocpi/versions with the gateway's token lists 2.2.1 at the public base URL."""
        resp = await http.get(f"{scsp.base_url}/ocpi/versions", headers=auth())
        assert resp.json()["data"] == [{"version": "2.2.1", "url": f"{scsp.base_url}/ocpi/2.2.1"}]

    async def test_versions_without_token_is_401(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """The versions endpoint refuses a caller without the gateway's token."""
        resp = await http.get(f"{scsp.base_url}/ocpi/versions", headers=auth("other"))
        assert resp.status_code == 401

    async def test_version_details_endpoints(self, scsp: MockScsp, http: httpx.AsyncClient) -> None:
        """Version details publish chargingprofiles SENDER, sessions RECEIVER and credentials."""
        resp = await http.get(f"{scsp.base_url}/ocpi/2.2.1", headers=auth(raw=True))
        endpoints = {(e["identifier"], e["role"]): e["url"] for e in resp.json()["data"]["endpoints"]}
        assert endpoints[("chargingprofiles", "SENDER")] == f"{scsp.base_url}/ocpi/2.2.1/chargingprofiles"
        assert endpoints[("sessions", "RECEIVER")] == f"{scsp.base_url}/ocpi/2.2.1/sessions"
        assert ("credentials", "SENDER") in endpoints


class TestClient:
    @respx.mock
    async def test_put_profile_sends_ocpi_headers(self, scsp: MockScsp, respx_mock: respx.MockRouter) -> None:
        """put_profile sends the body, a Base64 token, request ids and routing headers."""
        route = respx_mock.put("http://gw.test/ocpi/2.2.1/chargingprofiles/S-1").respond(
            json={"status_code": 1000, "data": {"result": "ACCEPTED", "timeout": 30}}
        )
        profile = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.0}]}
        answer = await scsp.put_profile(
            "http://gw.test", "scsp-token-c", "S-1", profile, scsp.result_url("p")
        )
        assert answer["data"]["result"] == "ACCEPTED"
        request = route.calls.last.request
        assert request.headers["Authorization"] == "Token " + base64.b64encode(b"scsp-token-c").decode()
        assert request.headers["OCPI-from-party-id"] == "SCS"
        assert request.headers["X-Request-ID"] != request.headers["X-Correlation-ID"]
        assert json.loads(request.content) == {
            "charging_profile": profile,
            "response_url": f"{scsp.base_url}/results/p",
        }

    @respx.mock
    async def test_get_and_delete_pass_query(self, scsp: MockScsp, respx_mock: respx.MockRouter) -> None:
        """get_profile sends duration and response_url; delete_profile sends response_url."""
        get = respx_mock.get("http://gw.test/ocpi/2.2.1/chargingprofiles/S-2").respond(
            json={"status_code": 1000}
        )
        delete = respx_mock.delete("http://gw.test/ocpi/2.2.1/chargingprofiles/S-2").respond(401)
        await scsp.get_profile("http://gw.test", "t", "S-2", 900, "http://cb/x")
        answer = await scsp.delete_profile("http://gw.test", "t", "S-2", "http://cb/y")
        assert dict(get.calls.last.request.url.params) == {"duration": "900", "response_url": "http://cb/x"}
        assert dict(delete.calls.last.request.url.params) == {"response_url": "http://cb/y"}
        assert answer["http_status"] == 401
