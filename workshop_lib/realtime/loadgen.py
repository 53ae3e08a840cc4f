"""A small load generator, closed loop or open loop, that times every request.

- Closed loop, ``load_test(url, n, concurrency, body)``: exactly ``concurrency`` requests are open
  (each of ``concurrency`` async workers sends its next request as soon as the previous one
  answers), so concurrency 1 measures latency alone and concurrency 32 a server under load.
- Open loop, ``open_loop_test(url, rate_per_s, duration_s, body)``: requests start at a fixed
  arrival rate whatever the server does, and each latency is counted from when the request was
  due, not from when it could finally be sent. A closed loop sends less while the server is slow,
  so its slow moments produce fewer samples ("coordinated omission") and its p99 looks better
  than what users see; the open loop does not.

Both work from a script and from a notebook (whose event loop is already running).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

from workshop_lib.support.benchmarking import LatencySummary, summarize


@dataclass(frozen=True)
class LoadResult:
    """Latencies of the successful requests, the whole run's wall time and any failures.

    ``concurrency`` is the closed loop's number of open requests; ``rate_per_s`` is set instead
    for an open loop.
    """

    latencies_s: np.ndarray
    wall_s: float
    concurrency: int
    errors: dict[str, int] = field(default_factory=dict)
    rate_per_s: float | None = None

    @property
    def summary(self) -> LatencySummary:
        return summarize(self.latencies_s, wall_s=self.wall_s)

    @property
    def throughput(self) -> float:
        """Successful requests per second over the whole run."""
        return len(self.latencies_s) / self.wall_s

    def __str__(self) -> str:
        failed = f"  errors={self.errors}" if self.errors else ""
        if self.rate_per_s is not None:
            return f"open loop at {self.rate_per_s:g}/s: {self.summary}{failed}"
        return f"concurrency {self.concurrency}: {self.summary}{failed}"


async def send(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> str:
    """One request: ``"ok"``, ``"HTTP <status>"`` for an error status, or the client error."""
    try:
        async with session.request(method, url, json=body) as response:
            await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        return type(error).__name__
    return "ok" if response.status < 400 else f"HTTP {response.status}"


def _result(
    url: str,
    latencies: list[float],
    errors: dict[str, int],
    wall: float,
    concurrency: int,
    rate_per_s: float | None = None,
) -> LoadResult:
    if not latencies:
        raise RuntimeError(f"every request to {url} failed: {errors}")
    return LoadResult(np.asarray(latencies), wall, concurrency, errors, rate_per_s)


async def load_test_async(
    url: str,
    n: int,
    concurrency: int,
    body: Any = None,
    method: str = "POST",
    timeout_s: float = 30.0,
) -> LoadResult:
    """Send ``n`` requests (JSON ``body``; GET when ``method="GET"``) with ``concurrency`` open.

    The client is aiohttp: it costs a fraction of httpx's CPU per request, which matters when
    the load generator shares a laptop's cores with the server it measures.
    """
    if n < 1 or concurrency < 1:
        raise ValueError(f"need n >= 1 and concurrency >= 1, got n={n}, concurrency={concurrency}")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    remaining = iter(range(n))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for _ in remaining:  # the workers share one iterator: n requests in all
                started = time.perf_counter()
                outcome = await send(session, method, url, body)
                if outcome == "ok":
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[outcome] = errors.get(outcome, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
        wall = time.perf_counter() - started
    return _result(url, latencies, errors, wall, concurrency)


async def open_loop_test_async(
    url: str,
    rate_per_s: float,
    duration_s: float,
    body: Any = None,
    method: str = "POST",
    timeout_s: float = 30.0,
    max_open: int = 512,
) -> LoadResult:
    """Start ``rate_per_s`` requests per second for ``duration_s`` s, whatever the server does.

    Each latency runs from the moment the request was due, so time spent waiting for a free
    connection (at most ``max_open``) counts too, as a user would feel it.
    """
    if rate_per_s <= 0 or duration_s <= 0:
        raise ValueError(f"need rate_per_s > 0 and duration_s > 0, got {rate_per_s}, {duration_s}")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=max_open)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()

        async def one(due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            outcome = await send(session, method, url, body)
            if outcome == "ok":
                latencies.append(time.perf_counter() - due)
            else:
                errors[outcome] = errors.get(outcome, 0) + 1

        count = max(1, round(rate_per_s * duration_s))
        await asyncio.gather(*(one(started + i / rate_per_s) for i in range(count)))
        wall = time.perf_counter() - started
    return _result(url, latencies, errors, wall, max_open, rate_per_s)


def _run_here(make: Callable[[], Coroutine[Any, Any, LoadResult]]) -> LoadResult:
    """Run a coroutine to its end from ordinary code, also inside a running event loop."""

    def run() -> LoadResult:
        return asyncio.run(make())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()  # no loop running here: run one
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def load_test(
    url: str,
    n: int,
    concurrency: int,
    body: Any = None,
    method: str = "POST",
    timeout_s: float = 30.0,
) -> LoadResult:
    """``load_test_async`` from ordinary code, also inside a notebook's running event loop."""
    return _run_here(lambda: load_test_async(url, n, concurrency, body, method, timeout_s))


def open_loop_test(
    url: str,
    rate_per_s: float,
    duration_s: float,
    body: Any = None,
    method: str = "POST",
    timeout_s: float = 30.0,
) -> LoadResult:
    """``open_loop_test_async`` from ordinary code, also inside a running event loop."""
    return _run_here(
        lambda: open_loop_test_async(url, rate_per_s, duration_s, body, method, timeout_s)
    )
