"""The one frozen Settings object: TOML file first, then ``OCPI_GATEWAY__SECTION__KEY`` overrides.

Only ``cli/commands.py`` (and tests) call :func:`load_settings`; everything else receives the object,
so no module reads ``os.environ`` behind the caller's back.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ocpi_gateway.errors import ConfigError
from ocpi_gateway.models.passwords import parse_password_hash

ENV_PREFIX = "OCPI_GATEWAY__"
# A party named as ``CC*PID``: an eMSP (ownership policies, id-tag owners), a session's owner.
EMSP_KEY_PATTERN = r"^[A-Za-z]{2}\*[A-Za-z0-9]{3}$"
# An OCPI 2.2.1 Role (CredentialsRole.role, a partner's role), any letter case.
ROLE_PATTERN = r"^(?i:CPO|EMSP|HUB|NAP|NSP|OTHER|SCSP)$"
# Proxy mode: an existing CSMS's OCPP-J base URL (empty = not set).
UPSTREAM_URL_PATTERN = r"^(wss?://\S+)?$"
# A Sentinel's address: ``host:port``.
HOST_PORT_PATTERN = r"^[A-Za-z0-9._-]+:[0-9]{1,5}$"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""
    max_body_bytes: int = Field(default=65536, ge=1024)

    @property
    def base_url(self) -> str:
        """The URL published to partners: ``public_url`` or, if empty, the listen address."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class RedisSettings(_Section):
    url: str = ""
    key_prefix: str = Field(default="ocpi", min_length=1)
    # A stable name for this node (a StatefulSet pod, a systemd unit): a restart resumes its work at
    # once. Empty: host name and process id.
    node_id: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._:@-]*$")
    # Heartbeat every third of it; a node silent for this long is dead and its jobs move.
    node_ttl: float = Field(default=3.0, gt=0.2, le=300)
    completed_session_ttl: int = Field(default=86400, ge=60)
    max_connections: int = Field(default=64, ge=4, le=10000)
    # Redis Sentinel (README "Redis high availability"): the primary is asked of these (host:port)
    # under the name ``sentinel_master`` and followed through a failover; ``url`` then gives only
    # the password, database and TLS, its host is not used.
    sentinels: tuple[Annotated[str, Field(pattern=HOST_PORT_PATTERN)], ...] = ()
    sentinel_master: str = Field(default="", max_length=200)
    # An ACCEPTED waits until this many replicas hold the job (WAIT); 503 / OCPI 3000 otherwise.
    wait_replicas: int = Field(default=0, ge=0, le=16)
    wait_timeout_ms: int = Field(default=1000, ge=10, le=60000)

    @model_validator(mode="after")
    def _sentinel_has_a_master(self) -> RedisSettings:
        if self.sentinels and not self.sentinel_master:
            raise ValueError("sentinel_master is required with sentinels (the name they monitor)")
        if self.sentinel_master and not self.sentinels:
            raise ValueError("sentinels (host:port list) are required with sentinel_master")
        return self

    @property
    def enabled(self) -> bool:
        """True when the Redis backend is configured (a URL, or Sentinels to find the primary)."""
        return bool(self.url or self.sentinels)


class PartySettings(_Section):
    """A statically configured OCPI peer (SCSP, eMSP, aggregator)."""

    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    role: str = Field(default="SCSP", pattern=ROLE_PATTERN)
    token: SecretStr | None = None
    their_token: SecretStr | None = None
    versions_url: str | None = None
    response_url_hosts: tuple[str, ...] = ()
    allow_private_callbacks: bool = False
    steer: Literal["all", "emsps", "registered"] = "all"
    emsps: tuple[Annotated[str, Field(pattern=EMSP_KEY_PATTERN)], ...] = ()

    @property
    def key(self) -> str:
        """``CC*PID`` upper-cased: how a party is named in logs and stored state."""
        return f"{self.country_code.upper()}*{self.party_id.upper()}"


class TokenOwnerSettings(_Section):
    """Sessions whose OCPP id tag starts with ``id_tag_prefix`` belong to the eMSP ``emsp`` (``CC*PID``)."""

    id_tag_prefix: str = Field(min_length=1, max_length=36)
    emsp: str = Field(pattern=EMSP_KEY_PATTERN)


class OcpiSettings(_Section):
    country_code: str = Field(default="NL", min_length=2, max_length=2)
    party_id: str = Field(default="GWY", min_length=3, max_length=3)
    business_name: str = "ocpi-gateway"
    result_timeout: int = Field(default=60, ge=2, le=3600)
    invalid_params_http_status: Literal[200, 400] = 400
    unknown_session_status_code: int = 1000
    idempotency_ttl: int = Field(default=86400, ge=1)
    party_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    rate_limit_party_per_minute: int = Field(default=0, ge=0)
    rate_limit_session_per_minute: int = Field(default=60, ge=0)
    parties: tuple[PartySettings, ...] = ()
    token_owners: tuple[TokenOwnerSettings, ...] = ()
    # Keeping partners informed (core/pushes.py, sessions/feed.py; README "Keeping the SCSP informed").
    push_after: Literal["sync", "async"] = "sync"
    push_horizon: int = Field(default=900, ge=300, le=3600)
    push_coalesce_seconds: float = Field(default=1.0, ge=0, le=60)
    session_patch_interval: float = Field(default=60.0, ge=0, le=3600)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")


class AdminSettings(_Section):
    token: SecretStr | None = None


class StationEvseSettings(_Section):
    """The OCPI EVSE ``uid`` of one EVSE (2.0.1 ``evse_id``; 1.6: the connector id) of a station."""

    evse_id: int = Field(ge=0)
    connector_id: int | None = Field(default=None, ge=0)
    evse_uid: str = Field(min_length=1, max_length=36)


class StationSettings(_Section):
    """A known station: its password hash and the OCPI ids its sessions are published with.

    ``evse_uid`` is the station-wide default (a one-EVSE station); ``evses`` names each
    EVSE (or connector) separately and wins where it matches.
    """

    station_id: str = Field(min_length=1, max_length=48)
    password_hash: SecretStr | None = None
    location_id: str | None = Field(default=None, max_length=36)
    evse_uid: str | None = Field(default=None, max_length=36)
    evses: tuple[StationEvseSettings, ...] = ()
    # How this station is reached when it differs from ``ocpp.mode`` (``None`` = ``ocpp.mode``).
    mode: Literal["direct", "proxy", "csms_http", "bus"] | None = None
    evse_max_current: float | None = Field(default=None, gt=0, le=5000)
    # Proxy mode: this station's CSMS, when it is not ``ocpp.upstream_url``.
    upstream_url: str = Field(default="", pattern=UPSTREAM_URL_PATTERN)

    @field_validator("password_hash")
    @classmethod
    def _hash_is_readable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_password_hash(value.get_secret_value())  # ValueError names the expected form
        return value

    def evse_uid_for(self, evse_id: int, connector_id: int | None = None) -> str | None:
        """The OCPI EVSE uid for an EVSE (and connector), else the station-wide ``evse_uid``."""
        exact = [e for e in self.evses if e.evse_id == evse_id and e.connector_id == connector_id]
        loose = [e for e in self.evses if e.evse_id == evse_id and e.connector_id is None]
        found = exact or loose
        return found[0].evse_uid if found else self.evse_uid


class DriverStationSettings(_Section):
    """What stations reached through a driver (csms_http, bus) can take: the driver reports
    these as the station's capabilities, since it cannot ask the station itself."""

    allowed_units: tuple[Literal["A", "W"], ...] = ("A", "W")
    max_stack_level: int | None = Field(default=None, ge=0)
    max_periods: int | None = Field(default=None, ge=1)


class CsmsHttpSettings(DriverStationSettings):
    set_profile_url: str = ""
    clear_profile_url: str = ""
    composite_url: str = ""
    token: SecretStr | None = None
    timeout: float = 10.0


class BusEvseSettings(_Section):
    station_id: str
    evse_id: int
    bus_evse_id: str


class BusSettings(DriverStationSettings):
    url: str = "mqtt://127.0.0.1:1883"
    username: str = ""
    password: SecretStr | None = None
    request_topic: str = "ocpp/smart_charging"
    response_topic: str = "smart_charging/ocpp"
    qos: int = Field(default=1, ge=0, le=2)
    evses: tuple[BusEvseSettings, ...] = ()


class OcppSettings(_Section):
    mode: Literal["direct", "proxy", "csms_http", "bus"] = "direct"
    security_profile: Literal[0, 1, 2] = 0
    tls_cert: str = ""
    tls_key: str = ""
    max_frame_bytes: int = Field(default=262144, ge=1024)
    # Broken OCPP-J frames one connection may send (each answered); the next closes it with 1002.
    max_bad_frames: int = Field(default=10, ge=1, le=10000)
    max_messages_per_second: float = Field(default=50.0, gt=0)
    message_burst: int = Field(default=100, ge=1)
    stations: tuple[StationSettings, ...] = ()
    allow_unknown_stations: bool | None = None
    voltage: float = Field(default=230.0, gt=0, le=1000)
    default_phases: int = Field(default=3, ge=1, le=3)
    stack_level: int = Field(default=1, ge=0)
    call_timeout: float = Field(default=30.0, gt=0, le=600)
    heartbeat_interval: int = Field(default=300, ge=1)
    # The EVSE maximum in A per phase, pushed when no profile is active (station override in stations).
    evse_max_current: float = Field(default=32.0, gt=0, le=5000)
    # The gateway's station-wide maximum profile (PUT /admin/stations/{id}/limit).
    station_limit_profile_id: int = Field(default=999, ge=1)
    station_limit_stack_level: int = Field(default=1, ge=0)
    upstream_url: str = Field(default="", pattern=UPSTREAM_URL_PATTERN)
    csms_http: CsmsHttpSettings = CsmsHttpSettings()
    bus: BusSettings = BusSettings()

    @model_validator(mode="after")
    def _stations_and_tls_are_consistent(self) -> OcppSettings:
        ids = [station.station_id for station in self.stations]
        twice = sorted({station_id for station_id in ids if ids.count(station_id) > 1})
        if twice:
            raise ValueError(f"stations: station_id listed twice: {', '.join(twice)}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key must be given together")
        unlisted = self.mode == "proxy" and self.unknown_stations_allowed
        lacking = any((s.mode or self.mode) == "proxy" and not s.upstream_url for s in self.stations)
        if not self.upstream_url and (unlisted or lacking):
            raise ValueError("upstream_url is required in proxy mode (or one per listed station)")
        return self

    def evse_max_current_for(self, station_id: str | None) -> float:
        """The EVSE maximum in A per phase: the station's own, else ``ocpp.evse_max_current``."""
        own = next((s.evse_max_current for s in self.stations if s.station_id == station_id), None)
        return own or self.evse_max_current

    def upstream_for(self, station_id: str) -> str:
        """Proxy mode: the CSMS base URL a station is relayed to (its own, else ``upstream_url``)."""
        own = next((s.upstream_url for s in self.stations if s.station_id == station_id), "")
        return own or self.upstream_url

    @property
    def unknown_stations_allowed(self) -> bool:
        """Unlisted station ids may connect: explicit setting, else only when none are listed."""
        if self.allow_unknown_stations is not None:
            return self.allow_unknown_stations
        return not self.stations


class ApiSettings(_Section):
    """The OCPP-format profile API (``/api/v1``)."""

    # Limits at or above this mean "no limit": they become the EVSE maximum below.
    unlimited_threshold: float = Field(default=99999.0, gt=0)
    # How long a PUT waits for the station's answer before answering 202 with a job URL.
    wait_seconds: float = Field(default=10.0, ge=0, le=120)
    # How long a finished job's outcome can still be read at ``GET /api/v1/jobs/{job_id}``.
    outcome_ttl: int = Field(default=3600, ge=60)


class DeliverySettings(_Section):
    backoff_initial: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=8.0, gt=0)
    request_timeout: float = Field(default=10.0, gt=0)
    max_response_bytes: int = Field(default=65536, ge=1024)
    max_in_flight: int = Field(default=16, ge=1, le=1000)


class LogSettings(_Section):
    format: Literal["console", "json"] = "console"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Settings(_Section):
    http: HttpSettings = HttpSettings()
    redis: RedisSettings = RedisSettings()
    ocpi: OcpiSettings = OcpiSettings()
    admin: AdminSettings = AdminSettings()
    ocpp: OcppSettings = OcppSettings()
    api: ApiSettings = ApiSettings()
    delivery: DeliverySettings = DeliverySettings()
    log: LogSettings = LogSettings()

    @model_validator(mode="after")
    def _timeouts_leave_room(self) -> Settings:
        if self.ocpi.result_timeout <= self.ocpp.call_timeout:
            raise ValueError(
                "ocpi.result_timeout must be larger than ocpp.call_timeout "
                "(the result must still be delivered after a silent station)"
            )
        return self


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: how tokens are kept in memory and in the backend."""
    return hashlib.sha256(token.encode()).hexdigest()


def _parse_env_value(raw: str) -> Any:
    """Read an environment value as a TOML value when it is one (``9000``, ``true``, ``[...]``)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set_path(tree: dict[str, Any], path: list[str], value: Any, env_key: str) -> None:
    node: Any = tree
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit():
                raise ConfigError(env_key, "a list index must be a number")
            index = int(part)
            while len(node) <= index:
                node.append({})
            if last:
                node[index] = value
            else:
                node = node[index]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, [] if path[i + 1].isdigit() else {})


def apply_env_overrides(tree: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Overlay ``OCPI_GATEWAY__SECTION__KEY=value`` variables on the parsed TOML tree."""
    for env_key in sorted(environ):
        if not env_key.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in env_key[len(ENV_PREFIX) :].split("__") if p]
        if path:
            _set_path(tree, path, _parse_env_value(environ[env_key]), env_key)
    return tree


def _first_error(exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(root)"
    return ConfigError(key, err["msg"].removeprefix("Value error, "))


def settings_from_mapping(tree: Mapping[str, Any]) -> Settings:
    """Validate a plain dict into Settings, turning the first problem into one ConfigError line."""
    try:
        return Settings.model_validate(dict(tree))
    except ValidationError as exc:
        raise _first_error(exc) from None


def load_settings(path: str | Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load the TOML file (if any), apply environment overrides, validate once.

    Raises:
        ConfigError: unreadable file, bad TOML, or an invalid key (named in the message).
    """
    tree: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            tree = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(str(file), "file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(file), f"not valid TOML ({exc})") from None
    apply_env_overrides(tree, os.environ if environ is None else environ)
    return settings_from_mapping(tree)
