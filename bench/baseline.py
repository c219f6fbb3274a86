"""The bare aiohttp baseline: a handler answering the same OCPI envelope as a gateway PUT.

It reads and parses the JSON body like the gateway must, then returns a fixed
ChargingProfileResponse envelope; the gateway's figure is reported as a ratio to this one.
"""

from __future__ import annotations

import argparse
import json
import time

from aiohttp import web


async def put(request: web.Request) -> web.Response:
    await request.json()
    body = {
        "data": {"result": "ACCEPTED", "timeout": 60},
        "status_code": 1000,
        "status_message": "Success",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return web.Response(text=json.dumps(body), content_type="application/json")


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_put("/ocpi/2.2.1/chargingprofiles/{session_id}", put)
    app.router.add_get("/health", health)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
