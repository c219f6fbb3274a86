"""Proxy mode: may a CSMS's own SetChargingProfile / ClearChargingProfile touch the SCSP's profile?

Pure: the CSMS's request (camelCase, as relayed), one session and the gateway's stack level
in, yes or no out. Only steered sessions (an SCSP profile is applied) can be touched:

* SetChargingProfile: a TxProfile on the session's connector (1.6) / EVSE (2.0.1) at the
  gateway's stack level (it replaces the SCSP's in 1.6; 2.0.1 would reject it, but an
  accepted one means the station took it), for the session's transaction when one is named;
  or any profile reusing the gateway's profile id;
* ClearChargingProfile: by the gateway's profile id; or by criteria that all could match
  (no criteria at all clears everything). A ``connectorId`` / ``evseId`` 0 counts as a
  match: which connectors it reaches is read differently by different stations.
"""

from __future__ import annotations

from typing import Any

from ocpi_gateway.domain import Session

TX_PROFILE = "TxProfile"


def touches_gateway_profile(action: str, request: dict[str, Any], session: Session, stack_level: int) -> bool:
    """Whether the CSMS's accepted ``action`` may have changed ``session``'s active profile."""
    if session.applied_profile is None or not isinstance(request, dict):
        return False
    if action == "SetChargingProfile":
        return _set_touches(request, session, stack_level)
    if action == "ClearChargingProfile":
        return _clear_touches(request, session, stack_level)
    return False


def _set_touches(request: dict[str, Any], session: Session, stack_level: int) -> bool:
    profile = request.get("csChargingProfiles", request.get("chargingProfile"))
    if not isinstance(profile, dict):
        return False
    profile_id = profile.get("chargingProfileId", profile.get("id"))
    if session.charging_profile_id is not None and profile_id == session.charging_profile_id:
        return True
    where = request.get("connectorId", request.get("evseId"))
    transaction = profile.get("transactionId")
    return (
        profile.get("chargingProfilePurpose") == TX_PROFILE
        and profile.get("stackLevel") == stack_level
        and where == session.evse_id
        and (transaction is None or str(transaction) == session.transaction_id)
    )


def _clear_touches(request: dict[str, Any], session: Session, stack_level: int) -> bool:
    profile_id = request.get("id", request.get("chargingProfileId"))
    if profile_id is not None:
        return bool(profile_id == session.charging_profile_id)
    criteria = request.get("chargingProfileCriteria", request)
    if not isinstance(criteria, dict):
        return False
    where = criteria.get("connectorId", criteria.get("evseId"))
    purpose = criteria.get("chargingProfilePurpose")
    level = criteria.get("stackLevel")
    return (
        where in (None, 0, session.evse_id) and purpose in (None, TX_PROFILE) and level in (None, stack_level)
    )
