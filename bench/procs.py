"""Processes a benchmark run starts: the gateway, the baseline, stations, the mock SCSP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCSP_TOKEN = "bench-scsp-token"
GATEWAY_TOKEN = "dev-gateway-token-b"  # the mock SCSP's default: results are answered 200, as in life


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (to say who spends what)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    log: Path = Path("/dev/null")

    async def start(self, stdout: int = asyncio.subprocess.DEVNULL) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
        env.update(self.env)
        self.log = Path(tempfile.gettempdir()) / f"bench-{self.name}-{os.getpid()}.log"
        with self.log.open("wb") as errors:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, cwd=ROOT, env=env, stdout=stdout, stderr=errors, limit=2**26
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def wait_http(url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < end:
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def gateway_config(port: int, scsp_base: str, redis_url: str | None, prefix: str) -> Path:
    redis = f'url = "{redis_url}"\nkey_prefix = "{prefix}"' if redis_url else 'url = ""'
    text = f"""
[http]
host = "127.0.0.1"
port = {port}
[redis]
{redis}
[ocpi]
result_timeout = 300
rate_limit_session_per_minute = 0
[[ocpi.parties]]
country_code = "NL"
party_id = "SCS"
token = "{SCSP_TOKEN}"
their_token = "{GATEWAY_TOKEN}"
versions_url = "{scsp_base}/ocpi/versions"
response_url_hosts = ["127.0.0.1"]
allow_private_callbacks = true
[admin]
token = "bench-admin"
[ocpp]
call_timeout = 60
max_messages_per_second = 1000
message_burst = 2000
[log]
level = "error"
format = "json"
"""
    handle, name = tempfile.mkstemp(prefix="bench-gateway-", suffix=".toml")
    os.close(handle)
    Path(name).write_text(text)
    return Path(name)


def gateway(port: int, config: Path, workers: int = 1, held: bool = False) -> Proc:
    """``ocpi-gateway serve``; with ``held``, the same with its job worker held (``bench.held_worker``)."""
    module = "bench.held_worker" if held else "ocpi_gateway"
    argv = [sys.executable, "-m", module, "serve", "--config", str(config)]
    return Proc("gateway", argv + (["--workers", str(workers)] if workers > 1 else []))


def bare_flow(port: int) -> Proc:
    return Proc("bare-flow", [sys.executable, "-m", "bench.bare_flow", "--port", str(port)])


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its live children (``serve --workers N``: the supervisor and its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return cpu_seconds(pid) + sum(cpu_seconds(kid) for kid in kids)


def baseline(port: int) -> Proc:
    return Proc("baseline", [sys.executable, "-m", "bench.baseline", "--port", str(port)])


def mock_scsp(port: int) -> Proc:
    return Proc("mock-scsp", [sys.executable, "-m", "ocpi_gateway", "mock-scsp", "--port", str(port)])


@dataclass
class Stations:
    """The bench station process; ``sessions`` maps station id -> OCPI session id."""

    proc: Proc
    out: Path
    sessions: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, ws_url: str, count: int, protocol: str, transactions: bool = True, full: bool = False
    ) -> Stations:
        """``full``: schema-validating SimulatedStations instead of the lean bench stations."""
        handle, name = tempfile.mkstemp(prefix="bench-stations-", suffix=".json")
        os.close(handle)
        argv = [sys.executable, "-m", "bench.stations", "--url", ws_url, "--count", str(count)]
        argv += ["--protocol", protocol, "--out", name]
        if not transactions:
            argv.append("--no-transactions")
        if full:
            argv.append("--full")
        proc = Proc("stations", argv)
        await proc.start(stdout=asyncio.subprocess.PIPE)
        assert proc.process is not None
        assert proc.process.stdout is not None
        while True:
            line = await asyncio.wait_for(proc.process.stdout.readline(), 600)
            if not line:
                raise RuntimeError(f"station process ended before READY: {proc.log.read_text()[-2000:]}")
            if line.startswith(b"READY "):
                return cls(proc, Path(name), json.loads(line[6:]))

    async def answer_times(self) -> dict[str, list[float]]:
        """Stop the stations and read when each answered (the process writes them as it stops)."""
        await self.proc.stop()
        data: dict[str, list[float]] = json.loads(self.out.read_text() or "{}")
        self.out.unlink(missing_ok=True)
        return data

    async def stop(self) -> None:
        """Stop the stations and remove their answer-times file (safe after ``answer_times``)."""
        await self.proc.stop()
        self.out.unlink(missing_ok=True)
