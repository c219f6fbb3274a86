"""Running a partner's OCPP-format SetChargingProfile job (``/api/v1``) against its station.

``jobs.JobRunner`` finds the station's link, retries after a dropped link and stores the
outcome; this module only turns the stored OCPP 1.6 request into the call the station's
protocol takes (``api/convert.py``), makes the call and keeps the station's own answer
(``status`` and 2.0.1 ``statusInfo``), which the partner sees instead of an OCPI result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from ocpi_gateway.domain import Job, JobKind, Session
from ocpi_gateway.errors import (
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
from ocpi_gateway.translate.ocpp_format import to_station_call

log = structlog.get_logger(__name__)

OCPP_JOB_KINDS = frozenset({JobKind.OCPP_SESSION, JobKind.OCPP_STATION})


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


async def run_ocpp_job(
    job: Job, session: Session | None, link: StationLink, call: Callable[[Any], Awaitable[Any]]
) -> OcppJobResult:
    """Send the job's request to the station and keep its answer.

    Raises:
        StationDisconnected: the link dropped mid-call; the runner tries the next link.
    """
    protocol = link.protocol.value
    if job.ocpp_request is None:
        return _rejected("Untranslatable", "the job carries no OCPP request", protocol)
    on_session = job.kind is JobKind.OCPP_SESSION and session is not None
    try:
        payload = to_station_call(
            job.ocpp_request,
            link.protocol,
            now=utcnow(),
            connector_id=session.evse_id if on_session and session is not None else None,
            transaction_id=session.transaction_id if on_session and session is not None else None,
        )
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
