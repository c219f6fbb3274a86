"""A real MQTT broker for the tests: the configured one if it answers, else a private mosquitto.

``OCPI_GATEWAY_TEST_MQTT_URL`` (default ``mqtt://127.0.0.1:1883``) is tried first with a real
MQTT CONNECT. If nothing answers there and a ``mosquitto`` binary exists, the suite starts its
own on a free port. Without either the bus tests are skipped, except under
``OCPI_GATEWAY_REQUIRE_MQTT=1`` (CI), where they fail instead: CI never skips them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "mqtt://127.0.0.1:1883"
# MQTT 3.1.1 CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60, empty client id.
_CONNECT = bytes([0x10, 12, 0, 4, *b"MQTT", 4, 0x02, 0, 60, 0, 0])


def answers(url: str) -> bool:
    """True when an MQTT broker at ``url`` accepts a connection (CONNACK with return code 0)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 1883), timeout=0.5
        ) as sock:
            sock.settimeout(0.5)
            sock.sendall(_CONNECT)
            reply = sock.recv(4)
    except OSError:
        return False
    return len(reply) == 4 and reply[0] == 0x20 and reply[3] == 0


@dataclass
class MosquittoServer:
    """A mosquitto process owned by the tests, listening on 127.0.0.1 only."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto not found")
        config = self.directory / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not answers(self.url):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mosquitto did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def require_or_skip(reason: str) -> None:
    import pytest

    if os.environ.get("OCPI_GATEWAY_REQUIRE_MQTT"):
        pytest.fail(f"an MQTT broker is required here (OCPI_GATEWAY_REQUIRE_MQTT): {reason}")
    pytest.skip(reason)
