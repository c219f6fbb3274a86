"""The ChargingProfiles Receiver views: validation naming the field, Steering calls, answers."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ocpi_gateway.models.ocpi import ChargingProfileResponse, ChargingProfileResponseType
from ocpi_gateway.ocpi.chargingprofiles import recover_response_url
from tests.ocpi.ocpi_support import PROFILES, VALID_PROFILE, ClientFactory, RecordingSteering, auth

Client = TestClient[web.Request, web.Application]
CALLBACK = "https://scsp.example.com/r/1"


def profile_with(**changes: Any) -> dict[str, Any]:
    """VALID_PROFILE with fields of ``charging_profile`` replaced (``response_url`` at the top)."""
    body = copy.deepcopy(VALID_PROFILE)
    if "response_url" in changes:
        body["response_url"] = changes.pop("response_url")
    body["charging_profile"].update(changes)
    return body


def periods(*pairs: tuple[int, float]) -> list[dict[str, Any]]:
    return [{"start_period": start, "limit": limit} for start, limit in pairs]


async def status_message(client: Client, method: str, url: str, **kwargs: Any) -> tuple[int, str]:
    response = await client.request(method, url, headers=auth(), **kwargs)
    body = await response.json()
    return body["status_code"], body.get("status_message", "")


class TestPut:
    async def test_valid_put_reaches_steering_and_answers(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """A valid PUT calls set_profile with the parsed body and answers its response as data."""
        response = await client.put(f"{PROFILES}/S1", json=VALID_PROFILE, headers=auth())
        body = await response.json()
        assert (response.status, body["status_code"], body["data"]) == (
            200,
            1000,
            {"result": "ACCEPTED", "timeout": 30},
        )
        call = steering.calls[0]
        assert (call.method, call.session_id, call.party.key) == ("set", "S1", "NL*SCS")
        assert call.body is not None
        assert call.body.charging_profile.charging_profile_period[1].limit == 10.5

    async def test_trailing_slash_route(self, client: Client, steering: RecordingSteering) -> None:
        """``…/chargingprofiles/S1/`` is the same resource."""
        response = await client.put(f"{PROFILES}/S1/", json=VALID_PROFILE, headers=auth())
        assert response.status == 200
        assert steering.calls[0].session_id == "S1"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (profile_with(charging_profile_period=periods((0, 16.25))), "charging_profile_period[0].limit"),
            (profile_with(min_charging_rate=6.05), "charging_profile.min_charging_rate"),
            (profile_with(charging_profile_period=periods((0, 10**400))), "charging_profile_period[0].limit"),
            (profile_with(min_charging_rate=10**400), "charging_profile.min_charging_rate"),
            (profile_with(charging_profile_period=[]), "charging_profile.charging_profile_period"),
            (
                profile_with(charging_profile_period=periods((0, 16), (600, 8), (300, 6))),
                "charging_profile.charging_profile_period",
            ),
            (
                profile_with(charging_profile_period=periods((60, 16))),
                "charging_profile.charging_profile_period",
            ),
            (profile_with(duration=-60), "charging_profile.duration"),
            (profile_with(charging_rate_unit="kW"), "charging_profile.charging_rate_unit"),
            (profile_with(response_url="ftp://scsp.example.com/r"), "response_url"),
            (profile_with(response_url="https://scsp.example.com/" + "r" * 250), "response_url"),
            ({"charging_profile": VALID_PROFILE["charging_profile"]}, "response_url"),
        ],
        ids=[
            "two-decimals",
            "min-rate-decimals",
            "limit-beyond-float",
            "min-rate-beyond-float",
            "empty-periods",
            "not-ascending",
            "start-not-0",
            "negative-duration",
            "bad-unit",
            "bad-response-url",
            "long-response-url",
            "missing-response-url",
        ],
    )
    async def test_invalid_body_is_2001_naming_the_field(
        self, client: Client, steering: RecordingSteering, body: dict[str, Any], field: str
    ) -> None:
        """Each invalid profile answers 2001 with a message naming the offending field."""
        code, message = await status_message(client, "PUT", f"{PROFILES}/S1", json=body)
        assert code == 2001
        assert field in message
        assert steering.calls == []

    async def test_decimal_message_is_readable(self, client: Client) -> None:
        """The two-decimals case says what the rule is, with the full path of the field."""
        body = profile_with(charging_profile_period=periods((0, 16), (900, 10.55)))
        _, message = await status_message(client, "PUT", f"{PROFILES}/S1", json=body)
        assert message == "charging_profile.charging_profile_period[1].limit: at most 1 decimal digit allowed"


class TestSessionId:
    @pytest.mark.parametrize(
        "session_id", ["x" * 37, "s%C3%A9ance", "tab%09id"], ids=["long", "non-ascii", "tab"]
    )
    async def test_bad_session_id_is_2001(self, client: Client, session_id: str) -> None:
        """A session id that is not 1–36 printable ASCII characters: 2001 naming session_id."""
        code, message = await status_message(client, "PUT", f"{PROFILES}/{session_id}", json=VALID_PROFILE)
        assert code == 2001
        assert message.startswith("session_id")

    async def test_36_characters_are_fine(self, client: Client, steering: RecordingSteering) -> None:
        """Exactly 36 characters is the CiString(36) maximum and is accepted."""
        await client.put(f"{PROFILES}/{'x' * 36}", json=VALID_PROFILE, headers=auth())
        assert steering.calls[0].session_id == "x" * 36


class TestGet:
    async def test_valid_get_reaches_steering(self, client: Client, steering: RecordingSteering) -> None:
        """GET passes duration and the decoded response_url to get_profile."""
        url = f"{PROFILES}/S1?duration=900&response_url={quote(CALLBACK + '?req=42', safe='')}"
        response = await client.get(url, headers=auth())
        assert response.status == 200
        call = steering.calls[0]
        assert (call.method, call.duration, call.response_url) == ("get", 900, CALLBACK + "?req=42")

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            (f"response_url={CALLBACK}", "duration"),
            (f"duration=-5&response_url={CALLBACK}", "duration"),
            (f"duration=0&response_url={CALLBACK}", "duration"),
            (f"duration=abc&response_url={CALLBACK}", "duration"),
            (f"duration=86401&response_url={CALLBACK}", "duration"),
            ("duration=60", "response_url"),
            ("duration=60&response_url=not-a-url", "response_url"),
            (f"duration=60&response_url=https://scsp.example.com/{'r' * 250}", "response_url"),
        ],
        ids=[
            "missing-duration",
            "negative",
            "zero",
            "not-int",
            "too-long",
            "missing-url",
            "bad-url",
            "long-url",
        ],
    )
    async def test_invalid_query_is_2001_naming_the_field(
        self, client: Client, steering: RecordingSteering, query: str, field: str
    ) -> None:
        """Each bad or missing query parameter answers 2001 naming it."""
        code, message = await status_message(client, "GET", f"{PROFILES}/S1?{query}")
        assert code == 2001
        assert message.startswith(field)
        assert steering.calls == []

    async def test_unencoded_nested_url_is_recovered(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """An un-encoded response_url with its own ``&`` keeps its whole query (OCPI §1.6 #3)."""
        url = f"{PROFILES}/S1?response_url=https://scsp.example.com/r?a=1&b=2&duration=60"
        await client.get(url, headers=auth())
        assert steering.calls[0].response_url == "https://scsp.example.com/r?a=1&b=2"
        assert steering.calls[0].duration == 60


class TestDelete:
    async def test_valid_delete_reaches_steering(self, client: Client, steering: RecordingSteering) -> None:
        """DELETE passes the response_url to clear_profile."""
        response = await client.delete(f"{PROFILES}/S1?response_url={CALLBACK}", headers=auth())
        assert response.status == 200
        assert (steering.calls[0].method, steering.calls[0].response_url) == ("clear", CALLBACK)

    async def test_unencoded_nested_url_is_recovered(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """DELETE with an un-encoded response_url holding ``?a=1&b=2`` gets the whole URL."""
        url = f"{PROFILES}/S1?response_url=https://scsp.example.com/clr?id=43&t=x"
        await client.delete(url, headers=auth())
        assert steering.calls[0].response_url == "https://scsp.example.com/clr?id=43&t=x"

    async def test_missing_response_url_is_2001(self, client: Client) -> None:
        """DELETE without response_url: 2001 naming it."""
        code, message = await status_message(client, "DELETE", f"{PROFILES}/S1")
        assert (code, message) == (2001, "response_url: required query parameter")


class TestUnknownSession:
    async def test_unknown_session_answers_1000_with_message(
        self, client: Client, steering: RecordingSteering
    ) -> None:
        """UNKNOWN_SESSION comes as data with status 1000 and ``Unknown session <id>``."""
        steering.answer = ChargingProfileResponse(
            result=ChargingProfileResponseType.UNKNOWN_SESSION, timeout=0
        )
        response = await client.put(f"{PROFILES}/S9", json=VALID_PROFILE, headers=auth())
        body = await response.json()
        assert (response.status, body["status_code"], body["status_message"], body["data"]["result"]) == (
            200,
            1000,
            "Unknown session S9",
            "UNKNOWN_SESSION",
        )

    async def test_unknown_session_status_code_is_configurable(
        self, make_client: ClientFactory, steering: RecordingSteering
    ) -> None:
        """``ocpi.unknown_session_status_code`` replaces 1000 for UNKNOWN_SESSION answers."""
        client = await make_client(unknown_session_status_code=2000)
        steering.answer = ChargingProfileResponse(
            result=ChargingProfileResponseType.UNKNOWN_SESSION, timeout=0
        )
        response = await client.delete(f"{PROFILES}/S9?response_url={CALLBACK}", headers=auth())
        assert (await response.json())["status_code"] == 2000


class TestRecoverResponseUrl:
    @pytest.mark.parametrize(
        ("raw", "parsed", "expected"),
        [
            ("duration=60&response_url=https%3A%2F%2Fa.example%2Fr%3Fx%3D1", "https://a.example/r?x=1", None),
            (
                "response_url=https://a.example/r?x=1&y=2",
                "https://a.example/r?x=1",
                "https://a.example/r?x=1&y=2",
            ),
            (
                "response_url=https://a.example/r?x=1&y=2&duration=9",
                "https://a.example/r?x=1",
                "https://a.example/r?x=1&y=2",
            ),
            ("duration=9&response_url=https://a.example/r", "https://a.example/r", None),
            ("duration=9", None, None),
        ],
        ids=["encoded", "cut-at-end", "cut-before-duration", "plain", "absent"],
    )
    def test_recovers_only_cut_values(self, raw: str, parsed: str | None, expected: str | None) -> None:
        """The raw text is re-taken only when a foreign parameter follows; else the parsed value stands."""
        assert recover_response_url(raw, parsed) == (expected if expected is not None else parsed)
