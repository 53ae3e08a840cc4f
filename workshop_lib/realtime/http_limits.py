"""Limits on a request's head (request line and headers), which the app never gets to see.

uvicorn 0.54's default parser (httptools) buffers a head of any size and waits for it forever:
a 300 MB header grew the service by 300 MB and was answered 200, and the keep-alive timer
starts only after a first response, so 520 half-sent requests stayed open as long as the
client liked (with ``--limit-concurrency 512``, which counts connections, everyone got 503).
Its h11 parser caps a head at 16 KiB (``--h11-max-incomplete-event-size``) but has no timeout
either, and is slower. So the service runs httptools with two limits added here::

    uvicorn apps.api:app --http workshop_lib.realtime.http_limits:HeadLimitedProtocol

- a head larger than ``MAX_HEAD_BYTES`` is answered 431 and the connection closed: a connection
  holds at most the limit plus a read or two (256 KiB each) of head (2 x 50 MB heads: +0 MB);
- a head not complete within ``HEADER_TIMEOUT_S`` (environment, default 10 s) of the
  connection opening, or of its first byte on a kept-alive connection, is answered 408 and
  closed (as nginx's ``client_header_timeout`` and Node's ``headersTimeout`` do).

Half-sent requests never reach the app, so they cannot hold its in-flight slots
(``MAX_IN_FLIGHT``, counted by ``request_guard``). A deployment still puts a proxy or load
balancer in front, which limits connections per client; these limits hold without one.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from workshop_lib.realtime.api_contract import Problem
from workshop_lib.realtime.refusal_log import log_refusal
from workshop_lib.realtime.serving import env_number

MAX_HEAD_BYTES = 32_768  # as nginx's default large_client_header_buffers (4 x 8 KiB)
HEADER_TIMEOUT_ENV_VAR = "HEADER_TIMEOUT_S"
DEFAULT_HEADER_TIMEOUT_S = 10.0
HTTP_OPTION = "--http workshop_lib.realtime.http_limits:HeadLimitedProtocol"
REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@cache
def header_timeout_s() -> float:
    """``$HEADER_TIMEOUT_S``, read once per process (a bad value stops the start-up)."""
    return env_number(os.environ, HEADER_TIMEOUT_ENV_VAR, DEFAULT_HEADER_TIMEOUT_S, minimum=0.1)


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing heads that are too large or too slow."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0
        super().connection_made(transport)
        self._start_head_clock()  # a new connection owes us a head, as a kept-alive one does

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.head_timer is not None:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.head_timer is not None and self.head_bytes > MAX_HEAD_BYTES:
            self._refuse(431, f"the request head is larger than {MAX_HEAD_BYTES:,} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.head_timer is None:
            self._start_head_clock()

    def on_headers_complete(self) -> None:
        self._stop_head_clock()
        super().on_headers_complete()

    def _start_head_clock(self) -> None:
        self.head_bytes = 0
        self.head_timer = self.loop.call_later(header_timeout_s(), self._head_too_slow)

    def _stop_head_clock(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_too_slow(self) -> None:
        self.head_timer = None
        if self.flow.read_paused:  # we stopped reading (a pipelined request waits its turn)
            self._start_head_clock()
            return
        self._refuse(408, f"the request head did not arrive within {header_timeout_s():g} s")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer ``status`` with a Problem body and close, whatever else was sent."""
        self._stop_head_clock()
        if self.transport.is_closing():
            return
        body = Problem(detail=detail).model_dump_json().encode()
        head = (
            f"HTTP/1.1 {status} ".encode() + REASONS[status] + b"\r\n"
            b"content-type: application/json\r\nconnection: close\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()
        log_refusal("other", "other", status, detail)
