"""The load generator: closed loop keeps C requests open; open loop counts from when a request
was due, so a server that stalls shows up in its percentiles (no coordinated omission)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web

from workshop_lib.realtime.loadgen import load_test, open_loop_test
from workshop_lib.support.servers import free_port

STALL_S = 0.5


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """A tiny HTTP server that answers at once, except for one 0.5 s stall after 0.3 s."""
    started = time.monotonic()
    stalled = threading.Event()

    async def answer(request: web.Request) -> web.Response:
        if time.monotonic() - started > 0.3 and not stalled.is_set():
            stalled.set()
            time.sleep(STALL_S)  # blocks the whole server, as a stop-the-world pause would
        return web.json_response({"ok": True})

    loop = asyncio.new_event_loop()
    port = free_port()
    app = web.Application()
    app.router.add_route("*", "/", answer)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())


def test_closed_loop_sends_n_with_c_open(stalling_server):
    result = load_test(stalling_server, 60, 4, {"x": 1})
    assert len(result.latencies_s) == 60 and result.concurrency == 4 and not result.errors


def test_open_loop_sees_the_stall_that_the_closed_loop_hides(stalling_server):
    time.sleep(0.35)  # the next request stalls the server
    opened = open_loop_test(stalling_server, rate_per_s=100, duration_s=1.2, body={"x": 1})
    slow = (opened.latencies_s > STALL_S / 2).sum()
    # every request due during the stall waited for it: about 100/s x 0.5 s of them
    assert slow >= 20, opened
    assert opened.rate_per_s == 100 and len(opened.latencies_s) == 120


def test_closed_loop_records_the_stall_only_once_per_open_request(stalling_server):
    time.sleep(0.35)
    closed = load_test(stalling_server, 120, 1, {"x": 1})
    assert (closed.latencies_s > STALL_S / 2).sum() == 1  # one sample, however long the stall


@pytest.mark.parametrize(("rate", "seconds"), [(0, 1), (10, 0)])
def test_open_loop_refuses_a_rate_or_duration_of_zero(rate, seconds):
    with pytest.raises(ValueError, match="rate_per_s > 0 and duration_s > 0"):
        open_loop_test("http://127.0.0.1:9/", rate, seconds)
