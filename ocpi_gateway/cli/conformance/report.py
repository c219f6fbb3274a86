"""The run as a terminal table, JUnit XML (one testcase per check) and JSON with the evidence.

Tokens never appear: the checks already replaced them in messages and evidence, and nothing
here prints the options.
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from ocpi_gateway.cli.conformance.model import Verdict
from ocpi_gateway.cli.conformance.runner import Report

COLOURS = {Verdict.PASS: "32", Verdict.FAIL: "31", Verdict.WARN: "33", Verdict.SKIP: "90"}


def table(report: Report, out: TextIO, colour: bool) -> None:
    """One line per check: verdict, name, message; then the totals."""
    width = max((len(r.name) for r in report.results), default=10)
    for result in report.results:
        label = result.verdict.value.upper() + ("" if result.required else "*")
        if colour:
            label = f"\033[{COLOURS[result.verdict]}m{label:<5}\033[0m"
        print(f"{label:<5} {result.name:<{width}}  {result.message}", file=out)
    counts = {v: sum(r.verdict is v for r in report.results) for v in Verdict}
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    print(f"\n{report.target} session {report.session}: {summary} in {report.seconds:.1f} s"
          f"{' (* optional)' if any(not r.required for r in report.results) else ''}", file=out)  # fmt: skip


def as_json(report: Report) -> dict[str, Any]:
    """Everything, evidence included (already trimmed and without tokens)."""
    return {
        "target": report.target,
        "session": report.session,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(report.started)),
        "seconds": round(report.seconds, 3),
        "passed": not report.failed,
        "checks": [
            {
                "name": r.name,
                "section": r.section,
                "required": r.required,
                "verdict": r.verdict.value,
                "message": r.message,
                "evidence": r.evidence,
            }
            for r in report.results
        ],
    }


def junit(report: Report) -> str:
    """JUnit XML: a failed required check is a <failure>, a skipped one <skipped>, a warning passes."""
    suite = ET.Element(
        "testsuite",
        name="ocpi-conformance",
        tests=str(len(report.results)),
        failures=str(sum(r.failed for r in report.results)),
        skipped=str(sum(r.verdict is Verdict.SKIP for r in report.results)),
        time=f"{report.seconds:.3f}",
    )
    for result in report.results:
        case = ET.SubElement(suite, "testcase", classname="ocpi.chargingprofiles", name=result.name)
        if result.failed or (result.verdict is Verdict.FAIL):
            failure = ET.SubElement(case, "failure", message=result.message)
            failure.text = json.dumps(result.evidence, indent=2, default=str)
        elif result.verdict is Verdict.SKIP:
            ET.SubElement(case, "skipped", message=result.message)
        ET.SubElement(case, "system-out").text = f"{result.section}\n{result.message}"
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
