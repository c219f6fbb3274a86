"""Running a partner's OCPP-format SetChargingProfile job (``/api/v1``) against its station.

``jobs.JobRunner`` finds the station's link, retries after a dropped link and stores the
outcome; this module turns the stored OCPP 1.6 request into a ``ProfileSpec``
(``translate/ocpp_format.py``) and sends it through the same capability-aware translation as an
OCPI profile (``translate/profiles.py``). A session's request is placed as the session's own
gateway profile (``place_on_session`` gives its profile id), so OCPI and the API replace each
other and an OCPI DELETE clears it. The station's own answer (``status`` and 2.0.1
``statusInfo``) is kept, which the partner sees instead of an OCPI result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from ocpi_gateway.config import Settings
from ocpi_gateway.core.steering import profile_target
from ocpi_gateway.domain import Capabilities, Electrical, Job, JobKind, Session
from ocpi_gateway.errors import (
    NotSupportedByStation,
    StationCallError,
    StationDisconnected,
    StationError,
    StationOffline,
    StationTimeout,
    TranslationError,
)
from ocpi_gateway.models.ocpi import ChargingProfileResult, ChargingProfileResultType
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.ocpp_format import spec_from_request, station_target
from ocpi_gateway.translate.profiles import TX_PROFILE, ProfileSpec, ProfileTarget, to_set_charging_profile

log = structlog.get_logger(__name__)

OCPP_JOB_KINDS = frozenset({JobKind.OCPP_SESSION, JobKind.OCPP_STATION})
SessionPlacement = Callable[[Session], Awaitable[tuple[Session, int]]]


class OcppJobResult(ChargingProfileResult):
    """The OCPI-style ``result`` plus what the station itself said.

    ``status`` is the OCPP status (``Accepted``, ``Rejected``, 1.6 ``NotSupported``);
    ``status_info`` is 2.0.1's ``{reason_code, additional_info}`` or, when the station gave
    no answer, the gateway's reason (``Timeout``, ``Offline``, ``CallError``, ``Untranslatable``).
    """

    status: str
    status_info: dict[str, Any] | None = None
    protocol: str | None = None


def _rejected(reason: str, detail: str, protocol: str | None = None) -> OcppJobResult:
    return OcppJobResult(
        result=ChargingProfileResultType.REJECTED,
        status="Rejected",
        status_info={"reason_code": reason, "additional_info": detail[:512]},
        protocol=protocol,
    )


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _status_info(response: Any) -> dict[str, Any] | None:
    info = _field(response, "status_info")
    if info is None:
        return None
    reason = _field(info, "reason_code")
    extra = _field(info, "additional_info")
    out = {"reason_code": str(reason)} if reason is not None else {}
    if extra is not None:
        out["additional_info"] = str(extra)
    return out or None


def ocpp_call_plan(
    request: dict[str, Any],
    session: Session | None,
    capabilities: Capabilities,
    settings: Settings,
    *,
    profile_id: int,
    now: datetime,
) -> tuple[ProfileSpec, ProfileTarget]:
    """The spec and placement of an OCPP-format request: on the session's own profile, or as sent.

    A session's request becomes the session's TxProfile under ``profile_id`` (the session's
    gateway profile id) at ``ocpp.stack_level``; a station-level one keeps its own placement.
    The job uses it to build the call, the API's admission for a dry run.
    """
    spec = spec_from_request(request)
    if session is not None:
        target = replace(profile_target(session, capabilities, settings, profile_id), now=now)
        return replace(spec, purpose=TX_PROFILE), target
    electrical = Electrical(voltage=settings.ocpp.voltage, phases=settings.ocpp.default_phases)
    return spec, station_target(request, capabilities, electrical, now=now)


async def run_ocpp_job(
    job: Job,
    session: Session | None,
    link: StationLink,
    call: Callable[[Any], Awaitable[Any]],
    *,
    settings: Settings,
    place_on_session: SessionPlacement,
) -> OcppJobResult:
    """Send the job's request to the station and keep its answer.

    Raises:
        StationDisconnected: the link dropped mid-call; the runner tries the next link.
    """
    protocol = link.protocol.value
    if job.ocpp_request is None:
        return _rejected("Untranslatable", "the job carries no OCPP request", protocol)
    on_session = session if job.kind is JobKind.OCPP_SESSION else None
    try:
        profile_id = 0
        if on_session is not None:
            on_session, profile_id = await place_on_session(on_session)
        spec, target = ocpp_call_plan(
            job.ocpp_request, on_session, link.capabilities, settings, profile_id=profile_id, now=utcnow()
        )
        payload = to_set_charging_profile(link.protocol, spec, target)
    except NotSupportedByStation as exc:
        log.info("ocpp_job_untranslatable", reason=str(exc))
        return _rejected("NotSupported", str(exc), protocol)
    except (TranslationError, ValueError, KeyError) as exc:
        log.info("ocpp_job_untranslatable", reason=str(exc))
        return _rejected("Untranslatable", str(exc), protocol)
    try:
        response = await call(payload)
    except StationDisconnected:
        raise
    except StationTimeout as exc:
        return _rejected("Timeout", str(exc), protocol)
    except StationOffline as exc:
        return _rejected("Offline", str(exc), protocol)
    except StationCallError as exc:
        return _rejected("CallError", str(exc), protocol)
    except StationError as exc:
        return _rejected("StationError", str(exc), protocol)
    status = str(_field(response, "status") or "Rejected")
    accepted = status == "Accepted"
    return OcppJobResult(
        result=ChargingProfileResultType.ACCEPTED if accepted else ChargingProfileResultType.REJECTED,
        status=status,
        status_info=_status_info(response),
        protocol=protocol,
    )
