"""Simulated stations against a real (minimal) CSMS over real websockets, for 1.6 and 2.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.exceptions import InternalError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpi_gateway.cli.simulator import SimulatedStation, run_simulation
from ocpi_gateway.timeutil import parse_utc
from tests.simulator.conftest import Csms, StationFactory, v16_profile


def set_profile(
    protocol: str,
    tx: str | None,
    *,
    pid: int = 7,
    stack: int = 1,
    unit: str = "A",
    purpose: str = "TxProfile",
    limits: tuple[tuple[int, float], ...] = ((0, 16.0),),
    target: int | None = None,
) -> Any:
    """A SetChargingProfile CALL for either version."""
    connector = (1 if purpose == "TxProfile" else 0) if target is None else target
    if protocol == "ocpp1.6":
        tx16 = int(tx) if tx is not None else None
        profile = v16_profile(tx16, pid=pid, stack=stack, unit=unit, purpose=purpose, limits=limits)
        return call16.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile)
    purpose = "ChargingStationMaxProfile" if purpose == "ChargePointMaxProfile" else purpose
    profile = {
        "id": pid,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative" if purpose != "ChargingStationMaxProfile" else "Absolute",
        "charging_schedule": [
            {
                "id": 1,
                "charging_rate_unit": unit,
                "charging_schedule_period": [{"start_period": s, "limit": lim} for s, lim in limits],
            }
        ],
    }
    if purpose == "ChargingStationMaxProfile":
        profile["charging_schedule"][0]["start_schedule"] = "2024-01-01T00:00:00Z"
    if tx is not None:
        profile["transaction_id"] = tx
    return call201.SetChargingProfile(evse_id=connector, charging_profile=profile)


def get_composite(protocol: str, duration: int = 600, unit: str | None = None) -> Any:
    if protocol == "ocpp1.6":
        return call16.GetCompositeSchedule(connector_id=1, duration=duration, charging_rate_unit=unit)
    return call201.GetCompositeSchedule(duration=duration, evse_id=1, charging_rate_unit=unit)


def schedule_start(protocol: str, result: Any) -> str:
    """When a GetCompositeSchedule answer's schedule starts (the station's "now")."""
    return str(result.schedule_start if protocol == "ocpp1.6" else result.schedule["schedule_start"])


def clear_by_id(protocol: str, pid: int) -> Any:
    if protocol == "ocpp1.6":
        return call16.ClearChargingProfile(id=pid)
    return call201.ClearChargingProfile(charging_profile_id=pid)


def periods(protocol: str, result: Any) -> list[tuple[int, float]]:
    """The composite periods of a GetCompositeSchedule answer, as ``(start, limit)``."""
    schedule = result.charging_schedule if protocol == "ocpp1.6" else result.schedule
    return [(p["start_period"], float(p["limit"])) for p in schedule["charging_schedule_period"]]


class TestConnection:
    async def test_boot_and_status(self, csms: Csms, station_factory: StationFactory, protocol: str) -> None:
        """connect() returns after an accepted boot, having reported the connectors' status."""
        station = await station_factory(protocol=protocol)
        assert csms.actions("SIM-1")[:2] == ["BootNotification", "StatusNotification"]
        assert station.heartbeat_interval == 1
        assert station.connected

    async def test_heartbeat_at_the_given_interval(self, csms: Csms, station_factory: StationFactory) -> None:
        """The station heartbeats at the interval the CSMS answered in BootNotification."""
        await station_factory(protocol="ocpp2.0.1")
        await csms.wait_action("SIM-1", "Heartbeat", timeout=3)

    async def test_close_ends_the_link(self, csms: Csms, station_factory: StationFactory) -> None:
        """close() drops the websocket; the station reports itself disconnected."""
        station = await station_factory()
        await station.close()
        assert not station.connected


class TestTransactions:
    async def test_v16_transaction_id_from_csms(self, csms: Csms, station_factory: StationFactory) -> None:
        """1.6: the transaction id is the CSMS's integer, as text; stop sends StopTransaction with it."""
        station = await station_factory(protocol="ocpp1.6")
        tx = await station.start_transaction(connector_id=1, id_tag="TAG9")
        start = await csms.wait_action("SIM-1", "StartTransaction")
        assert tx == str(start["assigned"])
        assert start["id_tag"] == "TAG9"
        await station.stop_transaction(tx)
        assert (await csms.wait_action("SIM-1", "StopTransaction"))["transaction_id"] == int(tx)
        assert station.transactions == {}

    async def test_v201_transaction_events(self, csms: Csms, station_factory: StationFactory) -> None:
        """2.0.1: Started carries the EVSE and idToken, Updated carries no EVSE, Ended closes it."""
        station = await station_factory(protocol="ocpp2.0.1")
        tx = await station.start_transaction(connector_id=1)
        started = await csms.wait_action("SIM-1", "TransactionEvent", 1)
        updated = await csms.wait_action("SIM-1", "TransactionEvent", 2)
        assert (
            started["event_type"],
            started["evse"]["id"],
            started["transaction_info"]["transaction_id"],
        ) == (
            "Started",
            1,
            tx,
        )
        assert started["id_token"]["id_token"] == "TAG1"
        assert (updated["event_type"], "evse" in updated) == ("Updated", False)
        await station.stop_transaction(tx)
        ended = await csms.wait_action("SIM-1", "TransactionEvent", 3)
        assert (ended["event_type"], ended["seq_no"]) == ("Ended", 2)

    async def test_profile_right_after_start_is_accepted(
        self, csms: Csms, station_factory: StationFactory
    ) -> None:
        """1.6: a TxProfile sent straight after the StartTransaction answer finds the transaction."""
        csms.profile_after_start = True
        station = await station_factory(protocol="ocpp1.6")
        await station.start_transaction()
        assert (await csms.wait_action("SIM-1", "SetChargingProfileResult"))["status"] == "Accepted"


class TestProfiles:
    async def test_stored_and_reflected_in_composite(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """A TxProfile is stored and GetCompositeSchedule answers its limits.

        The profile is Relative: it runs from the transaction's start, and the composite
        runs from the station's now, so the second period starts 300 s minus the whole
        seconds between the two (0 mostly, 1 when a second ticks over in between)."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        started = station.state.transactions[1].started
        result = await csms.call("SIM-1", set_profile(protocol, tx, limits=((0, 16.0), (300, 10.0))))
        assert result.status == "Accepted"
        assert [(p.profile_id, p.transaction_id) for p in station.profiles] == [(7, tx)]
        composite = await csms.call("SIM-1", get_composite(protocol, 600, "A"))
        assert composite.status == "Accepted"
        elapsed = int((parse_utc(schedule_start(protocol, composite)) - started).total_seconds())
        assert 0 <= elapsed < 5
        assert periods(protocol, composite) == [(0, 16.0), (300 - elapsed, 10.0)]

    async def test_composite_in_watts(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """The composite converts A to W with the station's phases and voltage."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        await csms.call("SIM-1", set_profile(protocol, tx, limits=((0, 16.0),)))
        composite = await csms.call("SIM-1", get_composite(protocol, 600, "W"))
        assert periods(protocol, composite) == [(0, 11040.0)]

    async def test_max_profile_caps_composite(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """A station-wide maximum profile lowers the composite below the TxProfile."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        await csms.call("SIM-1", set_profile(protocol, tx, limits=((0, 16.0),)))
        cap = set_profile(protocol, None, pid=8, purpose="ChargePointMaxProfile", limits=((0, 10.0),))
        assert (await csms.call("SIM-1", cap)).status == "Accepted"
        assert periods(protocol, await csms.call("SIM-1", get_composite(protocol))) == [(0, 10.0)]

    async def test_unit_not_allowed_is_rejected(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """A profile in W on an A-only station is Rejected and not stored."""
        station = await station_factory(protocol=protocol, allowed_units=frozenset({"A"}))
        tx = await station.start_transaction()
        result = await csms.call("SIM-1", set_profile(protocol, tx, unit="W", limits=((0, 11000.0),)))
        assert result.status == "Rejected"
        assert station.profiles == []

    async def test_too_many_periods_is_rejected(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """More periods than ChargingScheduleMaxPeriods/PeriodsPerSchedule: Rejected."""
        station = await station_factory(protocol=protocol, max_periods=2)
        tx = await station.start_transaction()
        limits = ((0, 16.0), (60, 12.0), (120, 8.0))
        assert (await csms.call("SIM-1", set_profile(protocol, tx, limits=limits))).status == "Rejected"

    async def test_unknown_transaction_is_rejected(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """A TxProfile naming a transaction that is not running is Rejected."""
        await station_factory(protocol=protocol)
        result = await csms.call("SIM-1", set_profile(protocol, "4242"))
        assert result.status == "Rejected"
        if protocol == "ocpp2.0.1":
            assert result.status_info["reason_code"] == "TxNotFound"

    async def test_clear_by_id_then_unknown(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """ClearChargingProfile by id: Accepted while it exists, then Unknown."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        await csms.call("SIM-1", set_profile(protocol, tx, pid=11))
        assert (await csms.call("SIM-1", clear_by_id(protocol, 11))).status == "Accepted"
        assert (await csms.call("SIM-1", clear_by_id(protocol, 11))).status == "Unknown"
        assert station.profiles == []

    async def test_tx_profiles_dropped_when_transaction_ends(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """Stopping the transaction removes its TxProfile."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        await csms.call("SIM-1", set_profile(protocol, tx))
        await station.stop_transaction(tx)
        assert station.profiles == []

    async def test_same_stack_level_other_id(
        self, csms: Csms, station_factory: StationFactory, protocol: str
    ) -> None:
        """Same stack level and purpose, new id: 1.6 replaces, 2.0.1 rejects (K01.FR.39)."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        await csms.call("SIM-1", set_profile(protocol, tx, pid=1))
        second = await csms.call("SIM-1", set_profile(protocol, tx, pid=2, limits=((0, 8.0),)))
        expected = ("Accepted", [2]) if protocol == "ocpp1.6" else ("Rejected", [1])
        assert (second.status, [p.profile_id for p in station.profiles]) == expected


class TestBehaviours:
    async def test_reject(self, csms: Csms, station_factory: StationFactory, protocol: str) -> None:
        """behaviour 'reject': SetChargingProfile answers Rejected and nothing is stored."""
        station = await station_factory(protocol=protocol, behaviour="reject")
        tx = await station.start_transaction()
        assert (await csms.call("SIM-1", set_profile(protocol, tx))).status == "Rejected"
        assert station.profiles == []

    async def test_silent(self, csms: Csms, station_factory: StationFactory, protocol: str) -> None:
        """behaviour 'silent': the call is recorded but never answered, other traffic goes on."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        station.behaviour = "silent"
        with pytest.raises(asyncio.TimeoutError):
            await csms.call("SIM-1", set_profile(protocol, tx))
        payload = await station.wait_for_call("SetChargingProfile")
        assert ("connectorId" if protocol == "ocpp1.6" else "evseId") in payload
        await station.stop_transaction(tx)

    async def test_disconnect(self, csms: Csms, station_factory: StationFactory, protocol: str) -> None:
        """behaviour 'disconnect': the websocket closes when the call arrives."""
        station = await station_factory(protocol=protocol)
        tx = await station.start_transaction()
        station.behaviour = "disconnect"
        call = asyncio.ensure_future(csms.call("SIM-1", set_profile(protocol, tx)))
        await station.wait_disconnected(timeout=3)
        assert not station.connected
        with pytest.raises(Exception):  # noqa: B017, PT011  # closed or timed out, either is a failed call
            await call

    async def test_callerror(self, csms: Csms, station_factory: StationFactory, protocol: str) -> None:
        """behaviour 'callerror': the station answers CALLERROR InternalError."""
        station = await station_factory(protocol=protocol)
        station.behaviour = "callerror"
        with pytest.raises(InternalError):
            await csms.call("SIM-1", get_composite(protocol))

    async def test_unknown_behaviour_refused(self, station_factory: StationFactory) -> None:
        """Only the documented behaviours can be set."""
        station = await station_factory()
        with pytest.raises(ValueError, match="behaviour"):
            station.behaviour = "explode"


class TestCapabilities:
    async def test_get_configuration(self, csms: Csms, station_factory: StationFactory) -> None:
        """1.6 GetConfiguration reports the configured smart-charging keys; unknown keys listed."""
        await station_factory(
            protocol="ocpp1.6", allowed_units=frozenset({"A"}), max_periods=5, max_stack_level=3
        )
        keys = [
            "ChargingScheduleAllowedChargingRateUnit",
            "ChargeProfileMaxStackLevel",
            "ChargingScheduleMaxPeriods",
            "MaxChargingProfilesInstalled",
            "SupportedFeatureProfiles",
            "Nope",
        ]
        result = await csms.call("SIM-1", call16.GetConfiguration(key=keys))
        values = {k["key"]: k["value"] for k in result.configuration_key}
        assert values == {
            "ChargingScheduleAllowedChargingRateUnit": "Current",
            "ChargeProfileMaxStackLevel": "3",
            "ChargingScheduleMaxPeriods": "5",
            "MaxChargingProfilesInstalled": "32",
            "SupportedFeatureProfiles": "Core,SmartCharging",
        }
        assert result.unknown_key == ["Nope"]

    async def test_get_variables(self, csms: Csms, station_factory: StationFactory) -> None:
        """2.0.1 GetVariables answers SmartChargingCtrlr variables; unknown names and attributes refused."""
        await station_factory(
            protocol="ocpp2.0.1", allowed_units=frozenset({"W"}), max_periods=4, max_stack_level=2
        )
        wanted = [
            ("RateUnit", None),
            ("PeriodsPerSchedule", None),
            ("ProfileStackLevel", None),
            ("Entries", None),
            ("Enabled", "Target"),
            ("Enabled", None),
            ("Bogus", None),
        ]
        data = [
            {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": n}}
            | ({"attribute_type": a} if a else {})
            for n, a in wanted
        ]
        result = await csms.call("SIM-1", call201.GetVariables(get_variable_data=data))
        answers = [
            (r["variable"]["name"], r["attribute_status"], r.get("attribute_value"))
            for r in result.get_variable_result
        ]
        assert answers == [
            ("RateUnit", "Accepted", "W"),
            ("PeriodsPerSchedule", "Accepted", "4"),
            ("ProfileStackLevel", "Accepted", "2"),
            ("Entries", "Accepted", "0"),
            ("Enabled", "NotSupportedAttributeType", None),
            ("Enabled", "Accepted", "true"),
            ("Bogus", "UnknownVariable", None),
        ]


class TestRecording:
    async def test_wait_for_call_returns_an_earlier_call(
        self, csms: Csms, station_factory: StationFactory
    ) -> None:
        """A call received before wait_for_call is asked is still returned, once."""
        station = await station_factory()
        await csms.call("SIM-1", call16.GetConfiguration())
        assert await station.wait_for_call("GetConfiguration") == {}
        assert station.received == [("GetConfiguration", {})]
        with pytest.raises(TimeoutError):
            await station.wait_for_call("GetConfiguration", timeout=0.1)

    async def test_notify_charging_limit(self, csms: Csms, station_factory: StationFactory) -> None:
        """2.0.1 NotifyChargingLimit reaches the CSMS with the source, EVSE and limit."""
        station = await station_factory(protocol="ocpp2.0.1")
        await station.notify_charging_limit(1, 10.0, "A", source="SO")
        seen = await csms.wait_action("SIM-1", "NotifyChargingLimit")
        assert seen["charging_limit"] == {"charging_limit_source": "SO"}
        assert seen["charging_schedule"][0]["charging_schedule_period"] == [
            {"start_period": 0, "limit": 10.0}
        ]


async def test_run_simulation_boots_all_and_stops(csms: Csms, capsys: pytest.CaptureFixture[str]) -> None:
    """run_simulation boots N stations, starts their transactions, prints, and stops on the event."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_simulation(csms.url, 3, "ocpp1.6", True, None, prefix="T", stop=stop))
    for n in (1, 2, 3):
        await csms.wait_action(f"T-{n:04d}", "StartTransaction", timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    out = capsys.readouterr().out
    assert "T-0003 booted (ocpp1.6" in out
    assert "simulation stopped" in out


def test_protocol_must_be_known() -> None:
    """Only ocpp1.6 and ocpp2.0.1 stations exist."""
    with pytest.raises(ValueError, match="protocol"):
        SimulatedStation("X", "ws://127.0.0.1:1/ocpp", protocol="ocpp2.1")
