"""The OpenAPI document: served, in step with the router, and true of the live app (schemathesis)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.openapi import build_openapi
from tests.conftest import ADMIN_TOKEN, SCSP_TOKEN, Gateway, make_settings

METHODS = ("get", "put", "post", "patch", "delete")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# These make the gateway call a URL taken from the request (the partner's versions endpoint) or
# change which partners exist; with generated data that would reach arbitrary hosts. Their
# behaviour is tested with a real mock partner elsewhere.
NOT_FUZZED = {
    ("POST", "/ocpi/2.2.1/credentials"),
    ("PUT", "/ocpi/2.2.1/credentials"),
    ("DELETE", "/ocpi/2.2.1/credentials"),
    ("POST", "/admin/parties/register"),
    ("PATCH", "/admin/parties/{key}"),
    ("DELETE", "/admin/parties/{key}"),
}
MAX_EXAMPLES = 25


def _concrete(path: str) -> str:
    concrete = path.replace("{session_id}", "4711").replace("{key}", "NL*SCS")
    return concrete.replace("{station_id}", "CS-1").replace("{job_id}", "feedbeef")


def test_component_schemas_are_json_schema_2020_12() -> None:
    """Every component schema is valid JSON Schema 2020-12, the dialect of OpenAPI 3.1."""
    document = build_openapi()
    assert document["openapi"].startswith("3.1.")
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_documented_and_routed_paths_agree() -> None:
    """Every documented operation is routed, and every routed HTTP operation is documented."""
    app = create_app(make_settings(free_port()), node_id="doc")
    reached: set[web.AbstractRoute] = set()
    for path, item in build_openapi()["paths"].items():
        for method in (m for m in METHODS if m in item):
            request = make_mocked_request(method.upper(), _concrete(path), app=app)
            match = asyncio.run(app.router.resolve(request))
            assert match.http_exception is None, f"{method.upper()} {path} is documented but not routed"
            reached.add(match.route)
    undocumented = [
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and not route.resource.canonical.startswith("/ocpp/")  # the websocket is not HTTP
        and not route.resource.canonical.endswith("/")  # trailing-slash twins of documented paths
        and route not in reached
    ]
    assert undocumented == []


async def test_document_is_served(gateway: Gateway) -> None:
    """GET /openapi.json serves the document with this gateway's public URL as its server."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{gateway.base_url}/openapi.json")
    assert response.status_code == 200
    assert response.json()["servers"] == [{"url": gateway.base_url}]


class _Server:
    """The gateway in a thread of its own: schemathesis calls it synchronously over a real socket."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = create_app(make_settings(self.port), node_id="fuzz")
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> _Server:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def live() -> Iterator[_Server]:
    with _Server() as server:
        yield server


def _operations(base_url: str) -> list[Any]:
    schema = schemathesis.openapi.from_dict(build_openapi(base_url))
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if (op.method.upper(), op.path) not in NOT_FUZZED]


def _auth(path: str) -> dict[str, str]:
    if path.startswith("/admin/"):
        return {"Authorization": f"Token {ADMIN_TOKEN}"}
    if path.startswith(("/ocpi/", "/api/")):
        return {"Authorization": f"Token {SCSP_TOKEN}"}
    return {}


@pytest.mark.timeout(120)
def test_live_app_conforms_to_document(live: _Server) -> None:
    """Generated requests to every operation: no 5xx, and every answer matches the document."""
    operations = _operations(live.base_url)
    assert len(operations) > 15
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def conforms(case: Any) -> None:
            headers = _auth(case.path)
            response = case.call(base_url=live.base_url, headers=headers, timeout=10)
            case.validate_response(response, checks=CHECKS, headers=headers)

        conforms()
