"""``serve --workers N``: N node processes on one port, every flow still answered once, clean stop.

Real processes throughout: the supervisor, its workers sharing the port through SO_REUSEPORT,
a real Redis, simulated stations over websockets and the mock SCSP receiving results.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import ADMIN_TOKEN, SCSP_TOKEN
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at
from tests.multinode.nodes import ROOT, node_config

STATIONS = 16  # with two workers, all 16 websockets landing on one worker has odds of 2 in 65,536


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux ``/proc``)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def listeners(port: int) -> int:
    """How many sockets listen on ``port`` (``/proc/net/tcp``): one per ready worker."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def until(check: Any, timeout: float = 15.0) -> Any:
    """Poll ``check()`` until it returns something truthy, or fail after ``timeout``."""
    end = asyncio.get_running_loop().time() + timeout
    while True:
        if value := check():
            return value
        assert asyncio.get_running_loop().time() < end, "condition not reached in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def supervised(
    tmp_path: Path, redis_settings: dict[str, Any], mock_scsp: MockScsp
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    config = tmp_path / "workers.toml"
    config.write_text(node_config(port, redis_settings, mock_scsp.base_url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocpi_gateway", "serve", "--workers", "2", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=(tmp_path / "workers.log").open("wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await until(lambda: len(children(proc.pid)) == 2)
        await until(lambda: listeners(port) == 2)
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{base}/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        yield proc, base
    finally:
        if proc.returncode is None:
            for child in children(proc.pid):
                os.kill(child, signal.SIGKILL)
            proc.kill()
            await proc.wait()


async def test_two_workers_share_the_port_and_every_flow_gets_one_result(
    supervised: tuple[asyncio.subprocess.Process, str], mock_scsp: MockScsp
) -> None:
    """Stations land on both workers; a PUT through the shared port reaches each and comes back once."""
    proc, base = supervised
    ws = base.replace("http", "ws") + "/ocpp"
    stations = [SimulatedStation(f"W-{i:02d}", ws) for i in range(STATIONS)]
    try:
        await asyncio.gather(*(s.connect() for s in stations))
        sessions = [await s.start_transaction(connector_id=1) for s in stations]
        # /admin/stations lists the answering node's stations; fresh connections reach both workers.
        seen: set[str] = set()
        for _ in range(200):
            async with httpx.AsyncClient() as client:
                answer = await client.get(
                    f"{base}/admin/stations", headers={"Authorization": f"Token {ADMIN_TOKEN}"}
                )
            seen |= {row["node"] for row in answer.json()}
            if len(seen) == 2:
                break
        assert len(seen) == 2, seen
        urls = [mock_scsp.result_url(f"w-{i}") for i in range(STATIONS)]
        answers = await asyncio.gather(
            *(put_profile(base, SCSP_TOKEN, s, PROFILE_A, url) for s, url in zip(sessions, urls, strict=True))
        )
        assert [a.json()["data"]["result"] for a in answers] == ["ACCEPTED"] * STATIONS
        results = await asyncio.gather(*(result_at(mock_scsp, url, timeout=20) for url in urls))
        assert {r.body["result"] for r in results} == {"ACCEPTED"}
        await asyncio.sleep(0.5)
        delivered = [r for r in mock_scsp.received if r.method == "POST" and r.path.startswith("/results/w-")]
        assert len(delivered) == STATIONS  # exactly one result per flow
    finally:
        await asyncio.gather(*(s.close() for s in stations))
    assert proc.returncode is None


async def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(
    supervised: tuple[asyncio.subprocess.Process, str],
) -> None:
    """SIGKILL one worker: a new one takes its place; SIGTERM: every worker drains, the group exits 0."""
    proc, base = supervised
    first = children(proc.pid)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    replaced = await until(
        lambda: (now := children(proc.pid)) and len(now) == 2 and victim not in now and now
    )
    port = int(base.rsplit(":", 1)[1])
    await until(lambda: listeners(port) == 2)  # the new worker serves
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/health")).status_code == 200
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 40) == 0
    assert not any(alive(pid) for pid in replaced)
