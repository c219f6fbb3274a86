"""Control endpoints that make a running ``ocpi-gateway mock-scsp`` send requests to the gateway.

A tester with the mock SCSP as a separate process steers sessions with plain HTTP:
``POST /_send/put`` ``{"session_id", "profile", ["response_url"], ["gateway"], ["token"]}``,
``POST /_send/get`` ``{"session_id", "duration", ...}``, ``POST /_send/delete`` ``{"session_id", ...}``.
The answer is the gateway's synchronous JSON plus the ``response_url`` the result will come back to
(by default one of the mock's own ``/results/<tag>`` URLs, so ``GET /_received`` shows it).
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web


class Sender(Protocol):
    """What the control routes need of their mock SCSP (a Protocol, so no import cycle with ``server``)."""

    gateway_url: str
    our_token: str

    def result_url(self, tag: str | None = None) -> str: ...

    async def put_profile(
        self, gateway_base: str, token: str, session_id: str, profile: dict[str, Any], response_url: str
    ) -> dict[str, Any]: ...

    async def get_profile(
        self, gateway_base: str, token: str, session_id: str, duration: int, response_url: str
    ) -> dict[str, Any]: ...

    async def delete_profile(
        self, gateway_base: str, token: str, session_id: str, response_url: str
    ) -> dict[str, Any]: ...


class SendControl:
    """The ``/_send/{put,get,delete}`` routes of one mock SCSP."""

    def __init__(self, scsp: Sender) -> None:
        self._scsp = scsp

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/_send/{method}", self.send)

    async def send(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method not in ("put", "get", "delete"):
            return web.json_response({"error": "method must be put, get or delete"}, status=404)
        try:
            body: dict[str, Any] = await request.json()
            session_id = str(body["session_id"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": 'a JSON body with "session_id" is required'}, status=400)
        scsp = self._scsp
        gateway = str(body.get("gateway") or scsp.gateway_url).rstrip("/")
        token = str(body.get("token") or scsp.our_token)
        response_url = str(body.get("response_url") or scsp.result_url(f"{method}-{session_id}"))
        if method == "put":
            if not isinstance(body.get("profile"), dict):
                return web.json_response(
                    {"error": '"profile" (an OCPI ChargingProfile) is required'}, status=400
                )
            answer = await scsp.put_profile(gateway, token, session_id, body["profile"], response_url)
        elif method == "get":
            duration = int(body.get("duration", 900))
            answer = await scsp.get_profile(gateway, token, session_id, duration, response_url)
        else:
            answer = await scsp.delete_profile(gateway, token, session_id, response_url)
        return web.json_response({"response_url": response_url, "answer": answer})
