"""Request micro-batching: many concurrent single-row requests, one model call.

A scikit-learn pipeline spends most of a one-row call on fixed overhead (checks, DataFrame
handling, one pass per tree), so 32 rows cost little more than one. ``MicroBatcher`` puts each
request's row in a queue; one dispatcher takes what is waiting (at most ``max_size`` rows), runs
the model once, and hands each request its own result.

- A request that finds the queue empty is dispatched at once: a lone caller waits for nothing.
- While the model is busy, newly arriving requests queue up and form the next batch.
- ``max_wait_ms`` caps how long the dispatcher keeps collecting while rows keep arriving.
- ``in_thread``: a slow model call (scikit-learn, milliseconds) runs in a worker thread so the
  event loop keeps accepting requests; a fast one (ONNX, about 0.1 ms for 32 rows) runs on the
  loop itself, because handing it to a thread and back costs more than the call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class BatchStats:
    """How the dispatcher grouped the requests so far."""

    batches: int = 0
    items: int = 0
    largest: int = 0

    @property
    def mean_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class MicroBatcher(Generic[Item, Result]):
    """Group concurrent ``submit`` calls into calls of ``predict_many(items) -> results``.

    ``predict_many`` is a plain (blocking) function that returns one result per item, in order;
    with ``in_thread`` it runs in a worker thread so the event loop keeps accepting requests
    meanwhile, else on the loop. ``in_thread`` may change while the batcher runs.
    """

    def __init__(
        self,
        predict_many: Callable[[list[Item]], Sequence[Result]],
        max_size: int = 32,
        max_wait_ms: float = 2.0,
        in_thread: bool = True,
    ):
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms cannot be negative, got {max_wait_ms}")
        self.predict_many = predict_many
        self.max_size = max_size
        self.max_wait_s = max_wait_ms / 1_000
        self.in_thread = in_thread
        self.stats = BatchStats()
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future]] | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start the dispatcher on the running event loop."""
        if self._task is not None:
            raise RuntimeError("the micro-batcher is already running")
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._dispatch_forever(), name="microbatcher")

    async def stop(self) -> None:
        """Stop the dispatcher; requests still queued get an error instead of hanging."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)  # wait until it has stopped
        self._task = None
        while self._queue is not None and not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("the micro-batcher stopped"))

    async def submit(self, item: Item) -> Result:
        """Queue one item and wait for its result."""
        if self._task is None or self._queue is None:
            raise RuntimeError("the micro-batcher is not running: call start() first")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def collect_batch(self) -> list[tuple[Item, asyncio.Future]]:
        """The next batch: whatever is queued, topped up while new rows keep arriving."""
        assert self._queue is not None
        batch = [await self._queue.get()]
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_size:
            if self._queue.empty():
                await asyncio.sleep(0)  # let requests that are being parsed enqueue
                if self._queue.empty() or time.monotonic() >= deadline:
                    break  # nothing more is coming right now: dispatch at once
            batch.append(self._queue.get_nowait())
        return batch

    async def _dispatch_forever(self) -> None:
        while True:
            batch = await self.collect_batch()
            items = [item for item, _ in batch]
            try:
                if self.in_thread:
                    results = await asyncio.to_thread(self.predict_many, items)
                else:
                    results = self.predict_many(items)
                if len(results) != len(items):
                    raise RuntimeError(
                        f"predict_many returned {len(results)} results for {len(items)} items"
                    )
            except Exception as error:  # every waiting request gets the error, none hangs
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self._record(len(items))
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # the caller may have given up (client disconnected)
                    future.set_result(result)

    def _record(self, size: int) -> None:
        self.stats.batches += 1
        self.stats.items += size
        self.stats.largest = max(self.stats.largest, size)

    def describe(self) -> dict[str, Any]:
        """Settings and grouping so far, for ``GET /model`` and the notebooks."""
        return {
            "max_size": self.max_size,
            "max_wait_ms": self.max_wait_s * 1_000,
            "in_thread": self.in_thread,
            "batches": self.stats.batches,
            "items": self.stats.items,
            "mean_batch_size": round(self.stats.mean_size, 2),
            "largest_batch": self.stats.largest,
        }
