"""A replica's answer leaves in one write, so a replica killed mid-answer sent all or nothing.

uvicorn writes an answer's status line and headers, then its body, in two writes. A replica
killed with ``SIGKILL`` between them (on a busy machine the scheduler can pause it there for
milliseconds) has sent nginx a head without a body. nginx has then passed the head on to the
client and cannot try another replica: the client gets a cut answer (measured here: 1 failed
request in each of two failover runs at load 3 to 8). Held back until the first body part is
ready, the head leaves with it in one write: a replica killed before that write sent nothing,
and nginx retries the request on the next replica (``proxy_next_upstream``).

    uvicorn apps.api:app --http workshop_lib.scaling.whole_answers:WholeAnswerProtocol

The request-head limits of ``HeadLimitedProtocol`` stay as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, cast

from uvicorn._types import ASGISendEvent

from workshop_lib.realtime.http_limits import HeadLimitedProtocol

HTTP_PROTOCOL = "workshop_lib.scaling.whole_answers:WholeAnswerProtocol"


class HeldHeadTransport:
    """A transport that can hold one write (an answer's head) and send it with the next."""

    def __init__(self, transport: asyncio.Transport):
        self.transport = transport
        self.hold_next = False
        self.held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.hold_next:
            self.hold_next, self.held = False, bytes(data)
            return
        if self.held is not None:
            data, self.held = self.held + bytes(data), None
        self.transport.write(data)

    def close(self) -> None:
        if self.held is not None:
            self.transport.write(self.held)
            self.held = None
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the real transport's
        return getattr(self.transport, name)


class WholeAnswerProtocol(HeadLimitedProtocol):
    """uvicorn's httptools protocol with head limits, writing each answer's head with its body."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, HeldHeadTransport(transport)))

    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not before:  # a new request's answer
            holding = self._holding_the_head(self.cycle.send)
            self.cycle.send = holding  # type: ignore[method-assign,assignment]

    def _holding_the_head(
        self, send: Callable[[ASGISendEvent], Coroutine[Any, Any, None]]
    ) -> Callable[[ASGISendEvent], Coroutine[Any, Any, None]]:
        held = cast(HeldHeadTransport, self.transport)

        async def send_head_with_body(message: ASGISendEvent) -> None:
            held.hold_next = message["type"] == "http.response.start"
            try:
                await send(message)  # the head is held; the body's write takes it along
            finally:
                held.hold_next = False

        return send_head_with_body
