"""The service's ASGI middleware: refuse what the app should never see, count everything.

``ObserveRequests`` wraps every HTTP request of ``apps/api.py``:

- 415 for a JSON endpoint's body that is not sent as ``application/json``;
- 413 for a body over ``MAX_BODY_BYTES`` (stopped as soon as it is over, never buffered whole);
- 408 for a body that trickles in slower than ``BODY_TIMEOUT_S``;
- 503 when ``MAX_IN_FLIGHT`` scoring requests are already being read or answered. Only
  requests whose head has arrived count: half-sent heads are ``http_limits``'s business, so
  they cannot take every slot (uvicorn's ``--limit-concurrency`` counts open connections);
- request count and duration metrics with bounded labels, and one refusal line in the service
  log per 4xx or 5xx answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workshop_lib.realtime.http_metrics import KNOWN_METHODS, OTHER, ServiceMetrics
from workshop_lib.realtime.problems import problem
from workshop_lib.realtime.refusal_log import log_refusal
from workshop_lib.realtime.serving import MAX_BODY_BYTES, ServiceSettings

JSON_BODY_PATHS = frozenset({"/predict", "/predict/batch"})
REFUSAL_BODY_BYTES = 4_096  # only a refusal's body is kept, to log its detail


class ObserveRequests:
    """ASGI middleware: 415, 413, 408 and 503 (at capacity) before the app runs; metrics and
    refusal lines for every request (unknown methods and paths are counted as "other")."""

    def __init__(self, app: ASGIApp, routers: Sequence[APIRouter] = ()):
        self.app = app
        self.routers = routers  # FastAPI includes routers by reference: their paths are here
        self.paths: frozenset[str] | None = None  # the routed paths, listed at the first request
        self.in_flight = 0  # scoring requests being read or answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        fastapi_app = scope["app"]
        metrics: ServiceMetrics = fastapi_app.state.metrics
        if self.paths is None:
            self.paths = routed_paths(
                [*fastapi_app.routes, *(r for x in self.routers for r in x.routes)]
            )
        path = scope["path"] if scope["path"] in self.paths else OTHER
        method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER
        status = 500
        refusal_body = bytearray()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400:
                refusal_body.extend(message.get("body", b"")[:REFUSAL_BODY_BYTES])
            await send(message)

        scoring = scope["method"] == "POST" and scope["path"] in JSON_BODY_PATHS
        if scoring:
            self.in_flight += 1
        try:
            settings = current_settings(fastapi_app)
            body: bytes | None = b""
            refusal = None
            if scoring:
                refusal = capacity_refusal(self.in_flight, settings) or content_type_refusal(scope)
            if refusal is None:
                try:
                    async with asyncio.timeout(settings.body_timeout_s):  # no extra task
                        body = await read_limited_body(scope, receive)
                except TimeoutError:
                    detail = f"the request body did not arrive within {settings.body_timeout_s:g} s"
                    refusal = problem(408, detail)
                else:
                    refusal = body_refusal(scope, body)
            if refusal is not None:
                await refusal(scope, receive, send_and_note_status)
            else:
                await self.app(scope, replay(body or b"", receive), send_and_note_status)
        finally:
            if scoring:
                self.in_flight -= 1
            metrics.observe_request(method, path, status, time.perf_counter() - started)
            if status >= 400:
                log_refusal(method, path, status, detail_of(bytes(refusal_body)))


def current_settings(app: FastAPI) -> ServiceSettings:
    """The running service's settings (the defaults while it starts or stops)."""
    state = app.state.service_state
    return state.settings if state is not None else DEFAULT_SETTINGS


DEFAULT_SETTINGS = ServiceSettings()


def detail_of(body: bytes) -> str:
    """The ``detail`` of a Problem body, for the refusal line."""
    try:
        return str(json.loads(body)["detail"])
    except (ValueError, KeyError, TypeError):
        return "(no Problem body)"


def routed_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths of ``routes`` (the metrics' bounded ``path`` label; others count as "other")."""
    found = {getattr(route, "path", None) for route in routes}
    return frozenset(path for path in found if path)


def capacity_refusal(in_flight: int, settings: ServiceSettings) -> JSONResponse | None:
    """A 503 (retry in a second) when more scoring requests are in flight than allowed."""
    if in_flight <= settings.max_in_flight:
        return None
    response = problem(
        503, f"the service is at capacity ({settings.max_in_flight} requests in flight)"
    )
    response.headers["Retry-After"] = "1"
    return response


def body_refusal(scope: Scope, body: bytes | None) -> JSONResponse | None:
    """413 for a body over the limit; 422 for a JSON endpoint's body that is not UTF-8 text."""
    if body is None:
        return problem(413, f"request body is larger than {MAX_BODY_BYTES:,} bytes")
    if scope["path"] in JSON_BODY_PATHS:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return problem(422, "the body is not valid JSON (it is not UTF-8 text)")
    return None


def content_type_refusal(scope: Scope) -> JSONResponse | None:
    """A 415 naming the problem when a JSON endpoint gets no or another Content-Type."""
    given = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    media_type = given.split(";")[0].strip().lower()
    if media_type == "application/json":
        return None
    found = f"Content-Type {given!r}" if given else "no Content-Type header"
    return problem(415, f"send the body as JSON with Content-Type: application/json (got {found})")


async def read_limited_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole request body, or None as soon as it exceeds MAX_BODY_BYTES."""
    declared = dict(scope["headers"]).get(b"content-length", b"0")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY_BYTES:
            return None
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits for a disconnect."""
    delivered = False

    async def receive_again() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again
