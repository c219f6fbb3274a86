"""A simulated OCPP 2.0.1 charging station: answers smart-charging calls and GetVariables.

Capabilities live on the ``SmartChargingCtrlr`` component (2.0.1 appendix); every variable
answers its ``Actual`` value. ``Entries`` Actual is the number of profiles installed now:
its maximum is a variable *characteristic* (``maxLimit``), which GetVariables cannot ask
for (the attribute types are Actual/Target/MinSet/MaxSet). Refusals carry a
``statusInfo.reasonCode``.
"""

from __future__ import annotations

from typing import Any

from ocpp.v201 import ChargePoint as V201ChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from ocpi_gateway.cli.simulator.base import SimulatedChargePoint, on
from ocpi_gateway.cli.simulator.profiles import Verdict, profile_from_v201
from ocpi_gateway.cli.simulator.state import describe, describe_composite
from ocpi_gateway.timeutil import format_utc

CONTROLLER = "SmartChargingCtrlr"


def _status_info(reason: str | None) -> dict[str, str] | None:
    return None if reason is None else {"reason_code": reason}


class SimulatedChargePointV201(SimulatedChargePoint, V201ChargePoint):  # type: ignore[misc]  # untyped base
    """Handlers for the calls a 2.0.1 CSMS makes to steer a station."""

    def variables(self) -> dict[tuple[str, str], str]:
        """``(variable, attributeType)`` -> value for the SmartChargingCtrlr component."""
        cfg = self.state.config
        return {
            ("Available", "Actual"): "true",
            ("Enabled", "Actual"): "true",
            ("RateUnit", "Actual"): ",".join(sorted(cfg.allowed_units)),
            ("PeriodsPerSchedule", "Actual"): str(cfg.max_periods),
            ("ProfileStackLevel", "Actual"): str(cfg.max_stack_level),
            ("Entries", "Actual"): str(len(self.state.store.profiles)),
        }

    def _variable_result(self, known: dict[tuple[str, str], str], item: dict[str, Any]) -> dict[str, Any]:
        component, variable = item["component"], item["variable"]
        attribute = item.get("attribute_type") or "Actual"
        result: dict[str, Any] = {"component": component, "variable": variable, "attribute_type": attribute}
        name = variable.get("name")
        if component.get("name") != CONTROLLER:
            return result | {"attribute_status": "UnknownComponent"}
        if (name, attribute) in known:
            return result | {"attribute_status": "Accepted", "attribute_value": known[(name, attribute)]}
        if any(var == name for var, _ in known):
            return result | {"attribute_status": "NotSupportedAttributeType"}
        return result | {"attribute_status": "UnknownVariable"}

    @on(Action.get_variables)
    async def on_get_variables(self, get_variable_data: list[dict[str, Any]], **kwargs: Any) -> Any:
        known = self.variables()
        return call_result.GetVariables(
            get_variable_result=[self._variable_result(known, item) for item in get_variable_data]
        )

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **kwargs: Any
    ) -> Any:
        if self.state.behaviour == "reject":
            verdict = Verdict(False, "Simulated")
        else:
            try:
                profile = profile_from_v201(evse_id, charging_profile)
            except ValueError:
                verdict = Verdict(False, "InvalidSchedule")
            else:
                verdict = self.state.store.set(profile, version="2.0.1", running=self.state.running())
                self.state.event(
                    f"SetChargingProfile {describe(profile)} -> {verdict.status} {verdict.reason or ''}"
                )
        return call_result.SetChargingProfile(status=verdict.status, status_info=_status_info(verdict.reason))

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        criteria = charging_profile_criteria or {}
        cleared = self.state.store.clear(
            profile_id=charging_profile_id,
            connector_id=criteria.get("evse_id"),
            purpose=criteria.get("charging_profile_purpose"),
            stack_level=criteria.get("stack_level"),
        )
        status = "Accepted" if cleared else "Unknown"
        self.state.event(f"ClearChargingProfile id={charging_profile_id} criteria={criteria} -> {status}")
        return call_result.ClearChargingProfile(status=status)

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **kwargs: Any
    ) -> Any:
        if self.state.behaviour == "reject":
            return call_result.GetCompositeSchedule(status="Rejected", status_info=_status_info("Simulated"))
        schedule = self.state.composite(evse_id, duration, charging_rate_unit)
        if schedule is None:
            self.state.event(f"GetCompositeSchedule evse {evse_id} {duration}s -> Rejected")
            known = 0 <= evse_id <= self.state.config.connectors
            reason = "UnsupportedRateUnit" if known else "UnknownEvse"
            return call_result.GetCompositeSchedule(status="Rejected", status_info=_status_info(reason))
        self.state.event(f"GetCompositeSchedule evse {evse_id} {duration}s -> {describe_composite(schedule)}")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": schedule.duration,
                "schedule_start": format_utc(schedule.start),
                "charging_rate_unit": schedule.unit,
                "charging_schedule_period": [
                    {"start_period": p.start_period, "limit": p.limit}
                    | ({"number_phases": p.number_phases} if p.number_phases else {})
                    for p in schedule.periods
                ],
            },
        )
