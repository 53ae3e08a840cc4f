"""A small load generator: send N requests with C in flight at once and time each one.

``load_test(url, n, concurrency, body)`` keeps exactly ``concurrency`` requests open (each of
``concurrency`` async workers sends its next request as soon as the previous one answers), so
concurrency 1 measures latency alone and concurrency 32 measures a server under load.
Works from a script and from a notebook (whose event loop is already running).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

from workshop_lib.support.benchmarking import LatencySummary, summarize


@dataclass(frozen=True)
class LoadResult:
    """Latencies of the successful requests, the whole run's wall time and any failures."""

    latencies_s: np.ndarray
    wall_s: float
    concurrency: int
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> LatencySummary:
        return summarize(self.latencies_s, wall_s=self.wall_s)

    @property
    def throughput(self) -> float:
        """Successful requests per second over the whole run."""
        return len(self.latencies_s) / self.wall_s

    def __str__(self) -> str:
        failed = f"  errors={self.errors}" if self.errors else ""
        return f"concurrency {self.concurrency}: {self.summary}{failed}"


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
                try:
                    async with session.request(method, url, json=body) as response:
                        await response.read()
                    outcome = "ok" if response.status < 400 else f"HTTP {response.status}"
                except (aiohttp.ClientError, TimeoutError) as error:
                    outcome = type(error).__name__
                if outcome == "ok":
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[outcome] = errors.get(outcome, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
        wall = time.perf_counter() - started
    if not latencies:
        raise RuntimeError(f"every request to {url} failed: {errors}")
    return LoadResult(np.asarray(latencies), wall, concurrency, errors)


def load_test(
    url: str,
    n: int,
    concurrency: int,
    body: Any = None,
    method: str = "POST",
    timeout_s: float = 30.0,
) -> LoadResult:
    """``load_test_async`` from ordinary code, also inside a notebook's running event loop."""

    def run() -> LoadResult:
        return asyncio.run(load_test_async(url, n, concurrency, body, method, timeout_s))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()  # no loop running here: run one
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
