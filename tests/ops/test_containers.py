"""The container files: Docker itself does not run here, so check what can be checked without it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocpi_gateway.config import ENV_PREFIX, load_settings

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _gateway_environment(given: dict[str, str] | None = None) -> dict[str, str]:
    """The gateway service's variables as compose fills them: ``given`` values first, then the
    ``${VAR:-default}`` default, and a stand-in value for a required ``${VAR:?msg}``."""

    def fill(match: re.Match[str]) -> str:
        name, kind, default = match.group(1), match.group(2), match.group(3)
        if given and name in given:
            return given[name]
        return default if kind == "-" else f"value-of-{name.lower()}"

    env = _compose()["services"]["gateway"]["environment"]
    return {key: _PLACEHOLDER.sub(fill, str(v)) for key, v in env.items()}


def test_compose_runs_gateway_with_redis() -> None:
    """docker-compose.yml builds the gateway, waits for a healthy Redis and points redis.url at it."""
    services = _compose()["services"]
    assert services["gateway"]["build"] == "."
    assert services["gateway"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["redis"]["image"].startswith("redis:")
    assert _gateway_environment()["OCPI_GATEWAY__REDIS__URL"] == "redis://redis:6379/0"


def test_compose_environment_is_valid_configuration() -> None:
    """Every OCPI_GATEWAY__ variable in the compose file names a real setting with a valid value."""
    environ = _gateway_environment()
    assert all(key.startswith(ENV_PREFIX) for key in environ)
    environ["OCPI_GATEWAY__OCPI__COUNTRY_CODE"] = "NL"
    environ["OCPI_GATEWAY__OCPI__PARTY_ID"] = "GWY"
    settings = load_settings(ROOT / "config" / "container.toml", environ)
    assert settings.redis.url == "redis://redis:6379/0"
    assert settings.http.host == "0.0.0.0"
    assert settings.log.format == "json"
    assert settings.admin.token is not None


def test_compose_ha_profile_adds_a_replica_and_a_sentinel_the_gateway_can_use() -> None:
    """``--profile ha``: a replica of the primary and a Sentinel watching it; with the variables the
    file's header names, the gateway's environment is a valid Sentinel configuration."""
    services = _compose()["services"]
    assert services["redis-replica"]["profiles"] == ["ha"]
    assert services["redis-replica"]["command"][-3:] == ["--replicaof", "redis", "6379"]
    assert services["redis-sentinel"]["profiles"] == ["ha"]
    sentinel = " ".join(services["redis-sentinel"]["command"])
    assert "sentinel monitor gw redis 6379 1" in sentinel
    assert "--sentinel" in sentinel
    assert "profiles" not in services["gateway"]
    assert "profiles" not in services["redis"]
    given = {
        "REDIS_SENTINELS": '["redis-sentinel:26379"]',
        "REDIS_SENTINEL_MASTER": "gw",
        "REDIS_WAIT_REPLICAS": "1",
    }
    environ = _gateway_environment(given)
    settings = load_settings(ROOT / "config" / "container.toml", environ)
    assert settings.redis.sentinels == ("redis-sentinel:26379",)
    assert settings.redis.sentinel_master == "gw"
    assert settings.redis.wait_replicas == 1
    plain = load_settings(ROOT / "config" / "container.toml", _gateway_environment())
    assert plain.redis.sentinels == ()  # without the profile: as before
    assert plain.redis.wait_replicas == 0


def test_image_config_holds_no_secrets() -> None:
    """The configuration baked into the image has no partner and no admin token."""
    settings = load_settings(ROOT / "config" / "container.toml", {})
    assert settings.ocpi.parties == ()
    assert settings.admin.token is None


def test_dockerfile_runs_as_non_root_with_healthcheck() -> None:
    """The image switches to a non-root user, serves the container config and has a health check."""
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text
    assert "config/container.toml" in text


def test_dockerfile_passes_hadolint() -> None:
    """hadolint (installed with the dev extras) finds nothing in the Dockerfile."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' brings it)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
