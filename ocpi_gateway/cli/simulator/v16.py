"""A simulated OCPP 1.6J charge point: answers the CSMS's smart-charging and configuration calls.

Capabilities are reported under the standard keys (1.6 §9.4) and then enforced when a
profile arrives; GetCompositeSchedule is answered from the profiles really stored.
"""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import PropertyConstraintViolationError
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ocpi_gateway.cli.simulator.base import SimulatedChargePoint, on
from ocpi_gateway.cli.simulator.profiles import profile_from_v16
from ocpi_gateway.cli.simulator.state import describe, describe_composite
from ocpi_gateway.timeutil import format_utc

_UNITS = {"A": "Current", "W": "Power"}


class SimulatedChargePointV16(SimulatedChargePoint, V16ChargePoint):  # type: ignore[misc]  # untyped base
    """Handlers for the calls a 1.6 CSMS makes to steer a station."""

    def configuration(self) -> dict[str, str]:
        """The configuration keys the station reports, as GetConfiguration values."""
        cfg = self.state.config
        return {
            "ChargingScheduleAllowedChargingRateUnit": ",".join(_UNITS[u] for u in sorted(cfg.allowed_units)),
            "ChargeProfileMaxStackLevel": str(cfg.max_stack_level),
            "ChargingScheduleMaxPeriods": str(cfg.max_periods),
            "MaxChargingProfilesInstalled": str(cfg.max_profiles),
            "SupportedFeatureProfiles": "Core,SmartCharging",
            "NumberOfConnectors": str(cfg.connectors),
        }

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list[str] | None = None, **kwargs: Any) -> Any:
        known = self.configuration()
        wanted = key or list(known)
        return call_result.GetConfiguration(
            configuration_key=[{"key": k, "readonly": True, "value": known[k]} for k in wanted if k in known],
            unknown_key=[k for k in wanted if k not in known] or None,
        )

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **kwargs: Any
    ) -> Any:
        if not 0 <= connector_id <= self.state.config.connectors:
            raise PropertyConstraintViolationError(description=f"no connector {connector_id}")
        if self.state.behaviour == "reject":
            return call_result.SetChargingProfile(status="Rejected")
        try:
            profile = profile_from_v16(connector_id, cs_charging_profiles)
        except ValueError:
            return call_result.SetChargingProfile(status="Rejected")
        verdict = self.state.store.set(profile, version="1.6", running=self.state.running())
        self.state.event(f"SetChargingProfile {describe(profile)} -> {verdict.status} {verdict.reason or ''}")
        return call_result.SetChargingProfile(status=verdict.status)

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(
        self,
        id: int | None = None,  # the OCPP field name
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **kwargs: Any,
    ) -> Any:
        cleared = self.state.store.clear(
            profile_id=id,
            connector_id=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        status = "Accepted" if cleared else "Unknown"
        self.state.event(f"ClearChargingProfile id={id} connector={connector_id} -> {status}")
        return call_result.ClearChargingProfile(status=status)

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **kwargs: Any
    ) -> Any:
        schedule = (
            None
            if self.state.behaviour == "reject"
            else self.state.composite(connector_id, duration, charging_rate_unit)
        )
        if schedule is None:
            self.state.event(f"GetCompositeSchedule connector {connector_id} {duration}s -> Rejected")
            return call_result.GetCompositeSchedule(status="Rejected")
        self.state.event(
            f"GetCompositeSchedule connector {connector_id} {duration}s -> {describe_composite(schedule)}"
        )
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=format_utc(schedule.start),
            charging_schedule={
                "duration": schedule.duration,
                "charging_rate_unit": schedule.unit,
                "charging_schedule_period": [
                    {"start_period": p.start_period, "limit": p.limit}
                    | ({"number_phases": p.number_phases} if p.number_phases else {})
                    for p in schedule.periods
                ],
            },
        )
