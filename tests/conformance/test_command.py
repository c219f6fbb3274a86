"""``ocpi-gateway conformance`` as a tester runs it: exit codes 0 / 1 / 2 and the report files."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ocpi_gateway.cli.demo import free_port
from tests.conformance.broken_cpo import SESSION, TOKEN_B, TOKEN_C, BrokenCpo

ROOT = Path(__file__).resolve().parents[2]


async def conformance(*args: str) -> tuple[int, str, str]:
    """Run the command as a process; (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocpi_gateway", "conformance", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def target(cpo: BrokenCpo) -> list[str]:
    return ["--versions-url", f"{cpo.base_url}/ocpi/versions", "--token", TOKEN_C, "--session", SESSION,
            "--expect-token", TOKEN_B, "--timeout-cap", "10"]  # fmt: skip


@pytest.mark.parametrize(("fault", "code"), [(None, 0), ("no_result", 1)])
async def test_exit_code_and_reports(tmp_path: Path, fault: str | None, code: int) -> None:
    """0 when every required check passes, 1 when one fails; JUnit and JSON files written."""
    cpo = BrokenCpo(fault=fault)
    await cpo.start()
    try:
        junit, report = tmp_path / "conformance.xml", tmp_path / "conformance.json"
        exit_code, out, _err = await conformance(*target(cpo), "--junit", str(junit), "--json", str(report))
    finally:
        await cpo.stop()
    assert exit_code == code, out
    assert "put_absolute_w_result" in out
    assert "\033[" not in out  # no colour when stdout is not a terminal
    suite = ET.parse(junit).getroot()  # noqa: S314  # our own output
    assert suite.get("failures") == str(code)
    assert json.loads(report.read_text())["passed"] is (code == 0)
    for text in (out, junit.read_text(), report.read_text()):
        assert TOKEN_C not in text
        assert TOKEN_B not in text


async def test_unreachable_target_is_exit_2_with_one_line() -> None:
    """Nothing listens at the versions URL: exit 2 and one clear line, no table."""
    url = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    exit_code, out, err = await conformance("--versions-url", url, "--token", "t", "--session", "s")
    assert exit_code == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "cannot reach the CPO" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--only", "versions,nonsense"], "unknown check nonsense"),
        (["--timeout-cap", "0"], "--timeout-cap"),
        (["--party", "NLSCS"], "CC*PID"),
    ],
)
async def test_bad_arguments_are_exit_2_with_one_line(args: list[str], says: str) -> None:
    base = ["--versions-url", "http://127.0.0.1:9/ocpi/versions", "--token", "t", "--session", "s"]
    exit_code, _out, err = await conformance(*base, *args)
    assert exit_code == 2
    assert err.strip().count("\n") == 0
    assert says in err
