"""The architecture, checked on the source: who may import whom, and no import cycles.

The rules live here, next to the README's map, so a change of architecture is a change of
this file that a reviewer sees. Every import counts, including those under ``TYPE_CHECKING``
and those inside functions: a cycle hidden from the interpreter is still a cycle a reader
has to untangle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ocpi_gateway"
TRANSLATE = PACKAGE / "translate"
IO_LIBRARIES = {"aiohttp", "redis", "httpx", "asyncio", "structlog", "socket"}

GROUND = {"config", "errors", "domain", "logs", "metrics", "timeutil", "models"}
"""Shared by every layer; imports only itself."""
WIRING = {"app", "appkeys", "openapi", "__init__"}
"""Puts the layers together; may import anything but the tools."""
EDGES = {"ocpi", "api", "admin", "ops"}
"""The HTTP faces; each may import the layers below, never another edge."""
TOOLS = "cli"
"""The commands users run: may import everything; nothing but ``__main__`` imports them."""

ALLOWED: dict[str, set[str]] = {
    "ground": {"ground"},
    "translate": {"ground", "translate"},
    "backend": {"ground", "backend"},
    "partners": {"ground", "backend", "partners"},
    "delivery": {"ground", "partners", "delivery"},
    "sessions": {"ground", "translate", "backend", "partners", "delivery", "sessions"},
    "stations": {"ground", "translate", "backend", "sessions", "stations"},
    "core": {"ground", "translate", "backend", "partners", "delivery", "sessions", "stations", "core"},
    "web": {"ground", "partners", "core", "wiring", "web"},
}
"""Layer -> layers it may import (edges, wiring and tools are handled on their own)."""

MAX_TOP_LEVEL_MODULES = 10
DRIVERS = {"direct", "proxy", "csms_http", "bus"}
DRIVER_ALLOWANCES = {("proxy", "direct")}
"""Proxy mode is direct mode plus a relay: its driver subclasses ``DirectStations``."""
CORE_MAY_USE_FROM_STATIONS = {"stations.driver"}
"""The core reaches stations through the seam only, never a driver or the factory."""


def module_name(path: Path) -> str:
    """``ocpi_gateway/core/jobs.py`` -> ``core.jobs``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (relative to ``ocpi_gateway``)."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = all_modules()


def imported_roots(source: Path) -> set[str]:
    """Top-level names of every module a file imports (``import x.y`` and ``from x.y import z``)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def internal_imports(source: Path) -> set[str]:
    """The gateway modules a file imports, by dotted name (``from pkg import module`` resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{source}: relative import; the package uses absolute ones"
            if not node.module or not node.module.startswith("ocpi_gateway"):
                continue
            base = node.module.removeprefix("ocpi_gateway").lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                found.add(candidate if candidate in MODULES else base or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ocpi_gateway."):
                    found.add(alias.name.removeprefix("ocpi_gateway."))
    return found


def layer_of(module: str) -> str:
    """The layer a module belongs to: its top package, or ground/wiring/edge/tools for the rest."""
    top = module.split(".")[0]
    if top in GROUND:
        return "ground"
    if top in WIRING:
        return "wiring"
    if top in EDGES:
        return "edge"
    if top == TOOLS or top == "__main__":
        return "tools"
    return top


def edges() -> Iterator[tuple[str, str]]:
    """Every (importer, imported) pair between two gateway modules."""
    for name, path in MODULES.items():
        for target in internal_imports(path):
            if target != name:
                yield name, target


IMPORTS = sorted(set(edges()))


@pytest.mark.parametrize("module", sorted(TRANSLATE.glob("*.py")), ids=lambda path: path.name)
def test_translate_imports_no_io(module: Path) -> None:
    """A translate module imports nothing that does I/O, logging or event-loop work."""
    assert imported_roots(module) & IO_LIBRARIES == set()


def test_guard_sees_the_package() -> None:
    """The guards look at the real package, so an empty glob or a broken resolver cannot pass silently."""
    names = {path.name for path in TRANSLATE.glob("*.py")}
    assert {"profiles.py", "results.py", "units.py"} <= names
    assert ("core.jobs", "translate.profiles") in IMPORTS
    assert ("stations.proxy.driver", "stations.direct.server") in IMPORTS
    assert len(IMPORTS) > 300


def test_every_module_has_a_known_layer() -> None:
    """A new top-level package must be given a place in the rules before it can land."""
    known = set(ALLOWED) | {"wiring", "edge", "tools"}
    strays = {m for m in MODULES if layer_of(m) not in known}
    assert strays == set()


def test_top_level_holds_only_the_ground_and_the_wiring() -> None:
    """Everything else lives in a package named after its role."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert set(top) <= GROUND | WIRING | {"__main__"}


def layer_violations() -> list[str]:
    """Every import that breaks the layer rules, as readable lines."""
    bad: list[str] = []
    for importer, imported in IMPORTS:
        source, target = layer_of(importer), layer_of(imported)
        if target == "tools" and source != "tools":
            bad.append(f"{importer} -> {imported}: nothing imports the tools")
        elif source == "edge" and target == "edge" and importer.split(".")[0] != imported.split(".")[0]:
            bad.append(f"{importer} -> {imported}: an edge imports another edge")
        elif source in ALLOWED and target not in ALLOWED[source]:
            bad.append(f"{importer} -> {imported}: {source} may not import {target}")
        elif source == "core" and target == "stations" and imported not in CORE_MAY_USE_FROM_STATIONS:
            bad.append(f"{importer} -> {imported}: the core uses the station seam only")
    return bad


def test_layers_import_only_downwards() -> None:
    """Ground < translate, backend < partners < delivery < sessions < stations < core < web < edges."""
    assert layer_violations() == []


def driver_of(module: str) -> str | None:
    """``stations.bus.wire`` -> ``bus``; seam modules (``stations.driver``) -> None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "stations" and parts[1] in DRIVERS:
        return parts[1]
    return None


def test_drivers_import_the_seam_never_each_other() -> None:
    """Each driver stands on ``stations/`` and below; only ``drivers.py`` (the factory) knows them all."""
    bad = []
    for importer, imported in IMPORTS:
        mine, theirs = driver_of(importer), driver_of(imported)
        if mine and theirs and mine != theirs and (mine, theirs) not in DRIVER_ALLOWANCES:
            bad.append(f"{importer} -> {imported}")
        if theirs and not mine and importer.startswith("stations.") and importer != "stations.drivers":
            bad.append(f"{importer} -> {imported}: the seam imports a driver")
    assert bad == []
    assert {d for d in DRIVERS if (PACKAGE / "stations" / d / "__init__.py").exists()} == DRIVERS


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    """The finder itself works, so an empty answer below means something."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles() -> None:
    """No module reaches itself through its imports (``TYPE_CHECKING`` and lazy imports included)."""
    graph: dict[str, set[str]] = {}
    for importer, imported in IMPORTS:
        graph.setdefault(importer, set()).add(imported)
    assert find_cycle(graph) is None


def test_every_package_says_its_job() -> None:
    """Each package opens with a docstring (its job and what it may import)."""
    silent = []
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        if not doc or len(doc) < 40:
            silent.append(str(init.relative_to(PACKAGE)))
    assert silent == []
