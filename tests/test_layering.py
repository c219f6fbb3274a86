"""The architecture rule that ``translate/`` stays pure, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TRANSLATE = Path(__file__).resolve().parents[1] / "ocpi_gateway" / "translate"
FORBIDDEN = {"aiohttp", "redis", "httpx", "asyncio", "structlog", "socket"}


def imported_roots(source: Path) -> set[str]:
    """Top-level names of every module a file imports (``import x.y`` and ``from x.y import z``)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(TRANSLATE.glob("*.py")), ids=lambda path: path.name)
def test_translate_imports_no_io(module: Path) -> None:
    """A translate module imports nothing that does I/O, logging or event-loop work."""
    assert imported_roots(module) & FORBIDDEN == set()


def test_guard_sees_the_package() -> None:
    """The guard looks at the real translate package, so an empty glob cannot pass silently."""
    names = {path.name for path in TRANSLATE.glob("*.py")}
    assert {"profiles.py", "results.py", "units.py"} <= names
