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
_PLACEHOLDER = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _gateway_environment() -> dict[str, str]:
    """The gateway service's variables with ``${VAR:-default}`` / ``${VAR:?msg}`` filled in."""
    env = _compose()["services"]["gateway"]["environment"]
    return {
        key: _PLACEHOLDER.sub(lambda m: f"value-of-{m.group(1).lower()}", str(v)) for key, v in env.items()
    }


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
