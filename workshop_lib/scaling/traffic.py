"""Steady traffic through the balancer while replicas fail or change: every answer recorded.

A closed loop of ``concurrency`` clients runs in a thread of its own, so a notebook or a test
can kill a replica or roll out a version meanwhile, then stop the traffic and read what every
request got: its status, the model version that answered and the replica that served it.

Each request opens its own connection to the balancer unless ``keep_alive=True``. On a graceful
reload nginx's old worker closes the idle connections it holds; a client that sends on one at
that instant gets no answer, and no client library retries a POST on its own (measured here:
10 of 9,577 requests over four reloads). A client that keeps connections alive through reloads
must retry a request whose connection closed before any answer, which /predict allows.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from workshop_lib.scaling.balancer import UPSTREAM_HEADER


@dataclass(frozen=True)
class Answer:
    """One request: when it was sent (s since the traffic started), what came back."""

    sent_s: float
    outcome: str  # "ok", "HTTP <status>" or the client error's name
    version: str | None
    upstream: str | None


@dataclass(frozen=True)
class TrafficReport:
    """Every answer of one run of traffic."""

    answers: list[Answer]
    wall_s: float

    @property
    def failed(self) -> int:
        return sum(answer.outcome != "ok" for answer in self.answers)

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(answer.outcome for answer in self.answers)

    def share(self, version: str) -> float:
        """The fraction of successful answers that ``version`` gave."""
        ok = [answer for answer in self.answers if answer.outcome == "ok"]
        return sum(answer.version == version for answer in ok) / len(ok) if ok else 0.0

    def overlap_s(self, old: str, new: str) -> float:
        """How long both versions answered: from the first ``new`` answer to the last ``old``."""
        old_times = [a.sent_s for a in self.answers if a.version == old]
        new_times = [a.sent_s for a in self.answers if a.version == new]
        if not old_times or not new_times:
            return 0.0
        return max(0.0, max(old_times) - min(new_times))


async def _one(session: aiohttp.ClientSession, url: str, body: Any, started: float) -> Answer:
    sent = time.perf_counter() - started
    try:
        async with session.post(url, json=body) as response:
            payload = await response.json(content_type=None)
            upstream = response.headers.get(UPSTREAM_HEADER)
            if response.status >= 400:
                return Answer(sent, f"HTTP {response.status}", None, upstream)
            return Answer(sent, "ok", payload.get("model_version"), upstream)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Answer(sent, type(error).__name__, None, None)


class Traffic:
    """``with Traffic(url, bodies, concurrency) as traffic:`` ... then ``traffic.report``.

    The clients send ``bodies`` in turn, over and over.
    """

    def __init__(
        self, url: str, bodies: Sequence[Any], concurrency: int = 8, keep_alive: bool = False
    ):
        if not bodies:
            raise ValueError("give at least one request body")
        self.url, self.bodies, self.concurrency = url, list(bodies), concurrency
        self.keep_alive = keep_alive
        self._stop = threading.Event()
        self._answers: list[Answer] = []
        self._wall_s = 0.0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=self.concurrency, force_close=not self.keep_alive)
        started = time.perf_counter()
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def client(offset: int) -> None:
                sent = offset
                while not self._stop.is_set():
                    body = self.bodies[sent % len(self.bodies)]
                    self._answers.append(await _one(session, self.url, body, started))
                    sent += self.concurrency

            await asyncio.gather(*(client(offset) for offset in range(self.concurrency)))
        self._wall_s = time.perf_counter() - started

    @property
    def answered(self) -> int:
        """How many requests have been answered so far."""
        return len(self._answers)

    def wait_for(self, answers: int, timeout: float = 30.0) -> None:
        """Block until at least ``answers`` requests have been answered."""
        deadline = time.monotonic() + timeout
        while len(self._answers) < answers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self._answers)} answers after {timeout} s")
            time.sleep(0.01)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def report(self) -> TrafficReport:
        if self._thread.is_alive():
            raise RuntimeError("stop the traffic (leave its with block) before reading it")
        return TrafficReport(list(self._answers), self._wall_s)
