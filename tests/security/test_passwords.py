"""Salted password hashes, the authenticator's checks and memory, and the hash-password command."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from pydantic import SecretStr

from ocpi_gateway.cli import commands as cli
from ocpi_gateway.config import OcppSettings, Settings, StationSettings, settings_from_mapping, token_digest
from ocpi_gateway.errors import ConfigError
from ocpi_gateway.models.passwords import (
    DEFAULT_N,
    hash_password,
    parse_password_hash,
    verify_password,
)
from ocpi_gateway.stations.direct import auth
from ocpi_gateway.stations.direct.auth import StationAuthenticator, basic_authorization

from .conftest import PASSWORD, station_entry


class TestHashes:
    def test_right_password_verifies_and_wrong_does_not(self) -> None:
        """A hash verifies its own password and refuses any other."""
        stored = parse_password_hash(hash_password(PASSWORD, n=2**8))
        assert verify_password(PASSWORD, stored)
        assert not verify_password(PASSWORD + "x", stored)

    def test_same_password_gives_different_salted_hashes(self) -> None:
        """Two hashes of one password differ (random salt), and both verify."""
        first, second = hash_password(PASSWORD, n=2**8), hash_password(PASSWORD, n=2**8)
        assert first != second
        assert all(verify_password(PASSWORD, parse_password_hash(h)) for h in (first, second))

    def test_default_factors_are_self_described(self) -> None:
        """The default hash names scrypt and its factors, so they can be raised later."""
        text = hash_password(PASSWORD)
        assert text.startswith(f"scrypt${DEFAULT_N}$8$1$")
        assert verify_password(PASSWORD, parse_password_hash(text))

    @pytest.mark.parametrize(
        "text",
        [
            token_digest(PASSWORD),  # the old unsalted SHA-256 digest
            "scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
            f"scrypt${2**22}$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # n too large
            "scrypt$256$8$1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",  # salt not base64
            "bcrypt$256$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",
        ],
        ids=["sha256", "n-not-power-of-two", "n-too-large", "bad-base64", "other-scheme"],
    )
    def test_unreadable_hashes_are_refused(self, text: str) -> None:
        """Anything but a sane scrypt$n$r$p$salt$key string is refused."""
        with pytest.raises(ValueError, match="scrypt"):
            parse_password_hash(text)


class TestConfig:
    def test_unsalted_hash_stops_start_up_naming_the_key(self) -> None:
        """An old-style SHA-256 password_hash is a configuration error naming the station entry."""
        tree = {"ocpp": {"stations": [{"station_id": "CS-1", "password_hash": token_digest(PASSWORD)}]}}
        with pytest.raises(ConfigError) as error:
            settings_from_mapping(tree)
        assert error.value.key == "ocpp.stations.0.password_hash"

    def test_listing_a_station_turns_unknown_ids_away_by_default(self) -> None:
        """allow_unknown_stations defaults to true with no list and false once a station is listed."""
        assert settings_from_mapping({}).ocpp.unknown_stations_allowed
        listed = settings_from_mapping({"ocpp": {"stations": [station_entry("CS-1")]}})
        assert not listed.ocpp.unknown_stations_allowed

    @pytest.mark.parametrize(
        "ocpp",
        [
            {"tls_cert": "cert.pem"},
            {"stations": [{"station_id": "CS-1"}, {"station_id": "CS-1"}]},
        ],
        ids=["cert-without-key", "duplicate-station"],
    )
    def test_inconsistent_station_settings_are_refused(self, ocpp: dict[str, Any]) -> None:
        """A certificate without its key, or a station listed twice, stops start-up."""
        with pytest.raises(ConfigError):
            settings_from_mapping({"ocpp": ocpp})

    def test_evse_uids_per_evse_and_connector(self) -> None:
        """evse_uid_for prefers an exact EVSE+connector entry, then the EVSE, then the station default."""
        station = StationSettings.model_validate(
            {
                "station_id": "CS-1",
                "location_id": "LOC-1",
                "evse_uid": "DEFAULT",
                "evses": [
                    {"evse_id": 1, "evse_uid": "EVSE-1"},
                    {"evse_id": 2, "connector_id": 2, "evse_uid": "EVSE-2-C2"},
                ],
            }
        )
        assert station.evse_uid_for(1) == "EVSE-1"
        assert station.evse_uid_for(1, connector_id=3) == "EVSE-1"
        assert station.evse_uid_for(2, connector_id=2) == "EVSE-2-C2"
        assert station.evse_uid_for(2, connector_id=1) == "DEFAULT"


def authenticator(profile: int = 1) -> StationAuthenticator:
    stations = (StationSettings(station_id="CS-1", password_hash=SecretStr(hash_password(PASSWORD, n=2**8))),)
    return StationAuthenticator(Settings(ocpp=OcppSettings(security_profile=profile, stations=stations)))


class TestAuthenticator:
    async def test_reconnects_pay_the_slow_hash_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Many handshakes with the right password cost one scrypt check; wrong ones are each checked."""
        calls: list[str] = []
        real = auth.verify_password

        def counting(password: str, stored: Any) -> bool:
            calls.append("check")
            return real(password, stored)

        monkeypatch.setattr(auth, "verify_password", counting)
        checker = authenticator()
        right = basic_authorization("CS-1", PASSWORD)
        for _ in range(50):
            assert await checker.refusal("CS-1", right) is None
        assert len(calls) == 1
        assert await checker.refusal("CS-1", basic_authorization("CS-1", "wrong")) == "wrong password"
        assert len(calls) == 2
        assert await checker.refusal("CS-1", right) is None
        assert len(calls) == 2

    @pytest.mark.parametrize(
        ("header", "reason"),
        [
            (None, "missing or malformed Basic credentials"),
            ("Bearer abc", "missing or malformed Basic credentials"),
            (basic_authorization("CS-2", PASSWORD), "user name is not the station id"),
            (basic_authorization("CS-1", "nope"), "wrong password"),
        ],
        ids=["missing", "not-basic", "other-user", "wrong-password"],
    )
    async def test_refusals_say_why_without_the_password(self, header: str | None, reason: str) -> None:
        """Each refusal carries a short reason that never contains the presented password."""
        refusal = await authenticator().refusal("CS-1", header)
        assert refusal == reason
        assert PASSWORD not in refusal
        assert "nope" not in refusal

    async def test_profile_0_admits_anything(self) -> None:
        """Security profile 0 checks nothing (development only)."""
        assert await authenticator(profile=0).refusal("CS-1", None) is None


class TestHashPasswordCommand:
    def test_option_prints_a_hash_that_verifies(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`stations hash-password --password P` prints a scrypt hash of P and exits 0."""
        assert cli.main(["stations", "hash-password", "--password", PASSWORD]) == 0
        printed = capsys.readouterr().out.strip()
        assert verify_password(PASSWORD, parse_password_hash(printed))

    def test_password_from_stdin(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --password the first line of (non-terminal) stdin is hashed."""
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        assert cli.main(["stations", "hash-password"]) == 0
        assert verify_password(PASSWORD, parse_password_hash(capsys.readouterr().out.strip()))

    def test_empty_password_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty password prints one error line and exits 1 without a hash."""
        monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
        assert cli.main(["stations", "hash-password"]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "empty" in captured.err
